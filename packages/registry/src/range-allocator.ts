// One cluster-wide allocator of the slots of an IPv4 block — service portal IPs (a slot is an
// address), minions' pod subnets (a slot is a /24) — whose state is a bitmap in etcd at one key,
// changed only by compare-and-swap, so any number of writers hand out each slot once. The object
// write comes after the allocator write; a crash between the two leaves a slot marked with no
// holder, which RangeRepair (packages/reconcilers) gives back.
import { AlreadyExistsError, NotFoundError, type KubeObject, type Storage } from '@coxswain/objects';

/** The slots of a block: offsets 0..size-1, each with the value (address or CIDR) users see. */
export interface SlotRange {
  /** The block, as stored beside the bitmap (a changed flag is noticed by comparing it). */
  readonly cidr: string;
  readonly size: number;
  /** The offset of `value` if it names a slot that may be handed out, else undefined. */
  offsetOf(value: string): number | undefined;
  valueAt(offset: number): string;
  /** Whether the slot at `offset` may be handed out (not a network/broadcast address, not reserved). */
  usable(offset: number): boolean;
}

/** The stored state: which offsets of `range` are taken, as a base64 bitmap (bit i = offset i). */
export interface RangeAllocation extends KubeObject {
  kind: 'RangeAllocation';
  range: string;
  data: string;
}

export interface RangeSnapshot {
  allocator: RangeAllocator;
  allocated: Set<string>;
  /** The revision the state was read at: replace() is guarded by it. */
  version: string;
}

export class RangeAllocator {
  private ensured = false;

  /** `parse` reads a stored `range` back into slots (for a state written under another flag value). */
  constructor(
    private readonly storage: Storage,
    readonly key: string,
    readonly range: SlotRange,
    private readonly parse: (cidr: string) => SlotRange,
  ) {}

  /** Marks `value`'s slot; false when it was taken already. `value` must be one offsetOf accepts. */
  async claim(value: string): Promise<boolean> {
    const offset = this.range.offsetOf(value);
    if (offset === undefined) throw new Error(`${value} is not a slot of ${this.range.cidr}`);
    let taken = false;
    await this.change((bits) => {
      taken = bits.has(offset);
      if (!taken) bits.add(offset);
    });
    return !taken;
  }

  /** Marks and returns the lowest free usable slot, or undefined when the block is full. */
  async takeLowest(): Promise<string | undefined> {
    let chosen: number | undefined;
    await this.change((bits) => {
      chosen = undefined;
      for (let i = 0; i < this.range.size && chosen === undefined; i++) if (this.range.usable(i) && !bits.has(i)) chosen = i;
      if (chosen !== undefined) bits.add(chosen);
    });
    return chosen === undefined ? undefined : this.range.valueAt(chosen);
  }

  /** Gives a slot back; a value outside the block (from before a flag change) is ignored. */
  async release(value: string): Promise<void> {
    const offset = this.range.offsetOf(value);
    if (offset !== undefined) await this.change((bits) => bits.delete(offset));
  }

  /** The values marked taken. */
  async allocated(): Promise<Set<string>> {
    let bits: Bitmap;
    try {
      bits = this.bitmapOf(await this.storage.get<RangeAllocation>(this.key));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      bits = new Bitmap(this.range.size);
    }
    return this.valuesOf(bits);
  }

  /** The stored state at `key` (undefined: never written), with an allocator over the stored range. */
  static async snapshot(storage: Storage, key: string, parse: (cidr: string) => SlotRange): Promise<RangeSnapshot | undefined> {
    let stored: RangeAllocation;
    try {
      stored = await storage.get<RangeAllocation>(key);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    const allocator = new RangeAllocator(storage, key, parse(stored.range), parse);
    return { allocator, allocated: allocator.valuesOf(allocator.bitmapOf(stored)), version: stored.metadata.resourceVersion! };
  }

  /** Marks exactly `keep` (those inside the block), if the state is still at `version`; else a ConflictError (look again). */
  async replace(version: string, keep: Iterable<string>): Promise<void> {
    const bits = new Bitmap(this.range.size);
    for (const value of keep) {
      const o = this.range.offsetOf(value);
      if (o !== undefined) bits.add(o);
    }
    await this.storage.guaranteedUpdate<RangeAllocation>(this.key, (current) => ({ ...current, data: bits.encode() }), { expectedVersion: version });
  }

  /** Writes the empty state if none is stored, and this block over a state stored for another one. */
  async ensureStored(): Promise<void> {
    if (this.ensured) return;
    const empty: RangeAllocation = {
      apiVersion: 'v1',
      kind: 'RangeAllocation',
      metadata: { name: this.key.slice(this.key.lastIndexOf('/') + 1) },
      range: this.range.cidr,
      data: new Bitmap(this.range.size).encode(),
    };
    try {
      await this.storage.create(this.key, empty);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
    this.ensured = true;
  }

  /** One compare-and-swap of the bitmap: `fn` may run again on a lost race. */
  private async change(fn: (bits: Bitmap) => void): Promise<void> {
    await this.ensureStored();
    await this.storage.guaranteedUpdate<RangeAllocation>(this.key, (current) => {
      const bits = this.bitmapOf(current);
      fn(bits);
      return { ...current, range: this.range.cidr, data: bits.encode() };
    });
  }

  private valuesOf(bits: Bitmap): Set<string> {
    return new Set(bits.offsets().map((o) => this.range.valueAt(o)));
  }

  /** A bitmap stored for another block (a changed flag) keeps the slots both blocks hold. */
  private bitmapOf(stored: RangeAllocation): Bitmap {
    if (stored.range === this.range.cidr) return Bitmap.decode(stored.data, this.range.size);
    const old = this.parse(stored.range);
    const bits = new Bitmap(this.range.size);
    for (const o of Bitmap.decode(stored.data, old.size).offsets()) {
      const mine = this.range.offsetOf(old.valueAt(o));
      if (mine !== undefined) bits.add(mine);
    }
    return bits;
  }
}

/** A fixed-size bit set, stored as base64. */
export class Bitmap {
  private readonly bytes: Uint8Array;

  constructor(
    readonly size: number,
    bytes?: Uint8Array,
  ) {
    this.bytes = new Uint8Array(Math.ceil(size / 8));
    if (bytes) this.bytes.set(bytes.subarray(0, this.bytes.length));
  }

  static decode(data: string, size: number): Bitmap {
    return new Bitmap(size, Buffer.from(data, 'base64'));
  }

  encode(): string {
    return Buffer.from(this.bytes).toString('base64');
  }

  has(i: number): boolean {
    return (this.bytes[i >> 3] & (1 << (i & 7))) !== 0;
  }

  add(i: number): void {
    this.bytes[i >> 3] |= 1 << (i & 7);
  }

  delete(i: number): void {
    this.bytes[i >> 3] &= ~(1 << (i & 7));
  }

  offsets(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.has(i)) out.push(i);
    return out;
  }
}
