// Service portal IPs (v1beta1 `portalIP`, v1 `spec.clusterIP`): one cluster-wide allocator whose
// state is a bitmap in etcd at PORTAL_ALLOCATION_KEY, changed only by compare-and-swap, so any
// number of API servers hand out each address once. The service write comes after the allocator
// write; a crash between the two leaves an address marked with no service, which PortalRepair
// (packages/reconcilers) gives back.
import { AlreadyExistsError, InvalidError, NotFoundError, type KubeObject, type Storage } from '@coxswain/objects';
import { PortalRange } from './portal-range';

export const PORTAL_ALLOCATION_KEY = '/registry/ranges/serviceips';

/** The stored state: which offsets of `range` are taken, as a base64 bitmap (bit i = offset i). */
export interface PortalAllocation extends KubeObject {
  kind: 'RangeAllocation';
  range: string;
  data: string;
}

/** The internal field a portal IP lives in (v1beta1 names it `portalIP`: the codec maps the path). */
export const PORTAL_FIELD = 'spec.clusterIP';

export class PortalAllocator {
  constructor(
    private readonly storage: Storage,
    readonly range: PortalRange,
  ) {}

  /** Takes `requested` (when free and inside the range) or the lowest free address. `service` names errors. */
  async allocate(service: string, requested?: string): Promise<string> {
    if (requested !== undefined) {
      const offset = this.range.offsetOf(requested);
      if (offset === undefined) throw invalid(service, requested, this.whyNot(requested));
      let taken = false;
      await this.change((bits) => {
        taken = bits.has(offset);
        if (!taken) bits.add(offset);
      });
      if (taken) throw invalid(service, requested, 'is already allocated to another service');
      return requested;
    }
    let chosen: number | undefined;
    await this.change((bits) => {
      chosen = bits.lowestFree();
      if (chosen !== undefined) bits.add(chosen);
    });
    if (chosen === undefined) {
      throw new InvalidError('Service', service, [
        { field: PORTAL_FIELD, message: `no free portal IP: all ${this.range.capacity} addresses of ${this.range.cidr} are allocated (delete a service or widen --portal-net)` },
      ]);
    }
    return this.range.ipAt(chosen);
  }

  /** Gives an address back; one outside the range (a service from before a --portal-net change) is ignored. */
  async release(ip: string): Promise<void> {
    const offset = this.range.offsetOf(ip);
    if (offset !== undefined) await this.change((bits) => bits.delete(offset));
  }

  /** The addresses marked taken. */
  async allocated(): Promise<Set<string>> {
    const bits = await this.read();
    return new Set(bits.offsets().map((o) => this.range.ipAt(o)));
  }

  /** The stored state: which addresses are marked and the revision they were read at (undefined: never written). */
  static async snapshot(storage: Storage): Promise<{ allocator: PortalAllocator; allocated: Set<string>; version: string } | undefined> {
    let stored: PortalAllocation;
    try {
      stored = await storage.get<PortalAllocation>(PORTAL_ALLOCATION_KEY);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    const allocator = new PortalAllocator(storage, PortalRange.parse(stored.range));
    const allocated = new Set(allocator.bitmapOf(stored).offsets().map((o) => allocator.range.ipAt(o)));
    return { allocator, allocated, version: stored.metadata.resourceVersion! };
  }

  /** Marks exactly `keep` (those inside the range), if the state is still at `version`; else a ConflictError (look again). */
  async replace(version: string, keep: Iterable<string>): Promise<void> {
    const bits = new Bitmap(this.range.size);
    for (const ip of keep) {
      const o = this.range.offsetOf(ip);
      if (o !== undefined) bits.add(o);
    }
    await this.storage.guaranteedUpdate<PortalAllocation>(PORTAL_ALLOCATION_KEY, (current) => ({ ...current, data: bits.encode() }), { expectedVersion: version });
  }

  /** One compare-and-swap of the bitmap: `fn` may run again on a lost race. */
  async change(fn: (bits: Bitmap) => void): Promise<void> {
    await this.ensureStored();
    await this.storage.guaranteedUpdate<PortalAllocation>(PORTAL_ALLOCATION_KEY, (current) => {
      const bits = this.bitmapOf(current);
      fn(bits);
      return { ...current, range: this.range.cidr, data: bits.encode() };
    });
  }

  private async read(): Promise<Bitmap> {
    try {
      return this.bitmapOf(await this.storage.get<PortalAllocation>(PORTAL_ALLOCATION_KEY));
    } catch (err) {
      if (err instanceof NotFoundError) return new Bitmap(this.range.size);
      throw err;
    }
  }

  /** A bitmap stored for another range (a changed --portal-net) keeps the addresses both ranges hold. */
  private bitmapOf(stored: PortalAllocation): Bitmap {
    if (stored.range === this.range.cidr) return Bitmap.decode(stored.data, this.range.size);
    const old = PortalRange.parse(stored.range);
    const bits = new Bitmap(this.range.size);
    for (const o of Bitmap.decode(stored.data, old.size).offsets()) {
      const mine = this.range.offsetOf(old.ipAt(o));
      if (mine !== undefined) bits.add(mine);
    }
    return bits;
  }

  private ensured = false;

  private async ensureStored(): Promise<void> {
    if (this.ensured) return;
    const empty: PortalAllocation = {
      apiVersion: 'v1',
      kind: 'RangeAllocation',
      metadata: { name: 'serviceips' },
      range: this.range.cidr,
      data: new Bitmap(this.range.size).encode(),
    };
    try {
      await this.storage.create(PORTAL_ALLOCATION_KEY, empty);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
    this.ensured = true;
  }

  private whyNot(ip: string): string {
    if (PortalRange.isMalformed(ip)) return 'must be an IPv4 address such as 172.30.0.10';
    return `is not inside the portal network ${this.range.cidr} (or is its network or broadcast address)`;
  }
}

function invalid(service: string, ip: string, why: string): InvalidError {
  return new InvalidError('Service', service, [{ field: PORTAL_FIELD, message: `${JSON.stringify(ip)} ${why}` }]);
}

/** A fixed-size bit set, stored as base64. */
export class Bitmap {
  private readonly bytes: Uint8Array;

  constructor(readonly size: number, bytes?: Uint8Array) {
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

  /** The lowest offset an address may take (1 .. size-2: never the network or broadcast address). */
  lowestFree(): number | undefined {
    for (let i = 1; i <= this.size - 2; i++) if (!this.has(i)) return i;
    return undefined;
  }

  offsets(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.has(i)) out.push(i);
    return out;
  }
}
