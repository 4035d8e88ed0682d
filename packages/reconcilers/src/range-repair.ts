// Makes a range allocator agree with the objects holding its slots (Kubernetes' service IP and
// node CIDR repair): the portal allocator with the services' portal IPs, the pod CIDR allocator
// with the minions' pod subnets. An object is created with two writes — the allocator's, then the
// object's — and deleted with two as well; a process killed between them leaves a slot marked
// that no object holds (a leak). A pass lists the holders straight from the store (never a cache:
// a stale cache would free live slots), then compare-and-swaps the allocator to hold exactly the
// holders' slots, plus any leak seen on fewer than `leakPasses` passes in a row: a create in
// flight looks like a leak for a moment, and must not have its slot handed out twice. Slots held
// but unmarked (a lost allocator write, or a Minion registered before any range was stored) are
// marked again; two holders of one slot are reported.
import { ConflictError, type Minion, type ObjectStore, type Service, type Storage } from '@coxswain/objects';
import { PodCidrAllocator, PortalAllocator, type RangeSnapshot } from '@coxswain/registry';

export interface RangeRepairOptions {
  store: ObjectStore;
  storage: Storage;
  /** Passes in a row a slot must look leaked before it is given back (default 3). */
  leakPasses?: number;
  logger?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/** What a repair needs to know of one range: its stored state, and who holds which slot. */
interface RangeHolders {
  what: string;
  snapshot(storage: Storage): Promise<RangeSnapshot | undefined>;
  /** [slot, holder name] for every object holding one. */
  holders(store: ObjectStore): Promise<[string, string][]>;
}

export interface RepairPass {
  /** Slots given back (leaked for leakPasses passes). */
  released: string[];
  /** Slots an object holds that the allocator had lost, marked again. */
  restored: string[];
  /** Slots held by more than one object: `slot -> names`. */
  duplicates: Record<string, string[]>;
}

class RangeRepair {
  private readonly leakPasses: number;
  /** Slot -> passes in a row it has looked leaked. */
  private readonly suspects = new Map<string, number>();

  constructor(
    private readonly range: RangeHolders,
    private readonly opts: RangeRepairOptions,
  ) {
    this.leakPasses = opts.leakPasses ?? 3;
  }

  /** One pass; a lost race with an allocation is retried on the next pass. */
  async runOnce(): Promise<RepairPass> {
    const pass: RepairPass = { released: [], restored: [], duplicates: {} };
    const snap = await this.range.snapshot(this.opts.storage);
    if (!snap) return pass; // nothing ever allocated
    const holders = new Map<string, string[]>();
    for (const [slot, name] of await this.range.holders(this.opts.store)) holders.set(slot, [...(holders.get(slot) ?? []), name]);
    const keep = new Set(holders.keys());
    for (const [slot, names] of holders) {
      if (names.length > 1) pass.duplicates[slot] = names;
      if (!snap.allocated.has(slot) && snap.allocator.range.offsetOf(slot) !== undefined) pass.restored.push(slot);
    }
    const seen = new Map<string, number>();
    for (const slot of snap.allocated) {
      if (keep.has(slot)) continue;
      const passes = (this.suspects.get(slot) ?? 0) + 1;
      if (passes >= this.leakPasses) pass.released.push(slot);
      else {
        keep.add(slot);
        seen.set(slot, passes);
      }
    }
    try {
      if (pass.released.length > 0 || pass.restored.length > 0) await snap.allocator.replace(snap.version, keep);
    } catch (err) {
      if (err instanceof ConflictError) return { released: [], restored: [], duplicates: pass.duplicates };
      throw err;
    }
    this.suspects.clear();
    for (const [slot, n] of seen) this.suspects.set(slot, n);
    for (const [slot, names] of Object.entries(pass.duplicates)) this.opts.logger?.warn({ slot, holders: names }, `${this.range.what} held by more than one object`);
    if (pass.released.length || pass.restored.length) this.opts.logger?.info({ released: pass.released, restored: pass.restored }, `${this.range.what} allocator repaired`);
    return pass;
  }
}

/** The portal allocator against the services' portal IPs. */
export class PortalRepair extends RangeRepair {
  constructor(opts: RangeRepairOptions) {
    super(
      {
        what: 'portal IP',
        snapshot: PortalAllocator.snapshot,
        holders: async (store) =>
          (await store.list<Service>('services')).items.flatMap((s): [string, string][] => (s.spec.clusterIP ? [[s.spec.clusterIP, `${s.metadata.namespace}/${s.metadata.name}`]] : [])),
      },
      opts,
    );
  }
}

/** The pod CIDR allocator against the minions' pod subnets. */
export class PodCidrRepair extends RangeRepair {
  constructor(opts: RangeRepairOptions) {
    super(
      {
        what: 'pod CIDR',
        snapshot: PodCidrAllocator.snapshot,
        holders: async (store) => (await store.list<Minion>('minions')).items.flatMap((m): [string, string][] => (m.spec?.podCIDR ? [[m.spec.podCIDR, m.metadata.name]] : [])),
      },
      opts,
    );
  }
}
