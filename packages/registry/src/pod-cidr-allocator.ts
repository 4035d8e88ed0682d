// Minions' pod subnets (`spec.podCIDR`): one RangeAllocator over the cluster CIDR at
// POD_CIDR_ALLOCATION_KEY, a /24 (by default) a slot, as Kubernetes' node IPAM controller hands
// out node.spec.podCIDR. The API server owns the range (its --cluster-cidr, written at start); a
// kubelet registering its own Minion allocates from the range stored in etcd, so every writer of
// Minions agrees without sharing flags. With no range stored (a bare etcd with no API server ever
// started, as in unit and component tests) a Minion's podCIDR is kept as sent.
import { InvalidError, type Storage } from '@coxswain/objects';
import { PodCidrRange } from './pod-cidr-range';
import { RangeAllocator, type RangeSnapshot } from './range-allocator';

export const POD_CIDR_ALLOCATION_KEY = '/registry/ranges/podcidrs';
export const POD_CIDR_FIELD = 'spec.podCIDR';

export class PodCidrAllocator {
  private slots?: RangeAllocator;

  /** `range`: the API server's flags; without it, the range stored in etcd (read on first use). */
  constructor(
    private readonly storage: Storage,
    range?: PodCidrRange,
  ) {
    if (range) this.slots = new RangeAllocator(storage, POD_CIDR_ALLOCATION_KEY, range, PodCidrRange.parse);
  }

  /** Writes the range (the API server at start), so kubelets find it before any Minion is created. */
  async ensureStored(): Promise<void> {
    await this.slots?.ensureStored();
  }

  /**
   * Takes `requested` (when free and inside the range) or the lowest free subnet, for Minion
   * `minion`. Undefined when no range is configured anywhere: the Minion keeps what it sent.
   */
  async allocate(minion: string, requested?: string): Promise<string | undefined> {
    const slots = await this.resolve();
    if (!slots) return requested;
    const range = slots.range as PodCidrRange;
    if (requested !== undefined) {
      const why = range.whyNot(requested);
      if (why) throw invalid(minion, `${JSON.stringify(requested)} ${why}`);
      if (!(await slots.claim(requested))) throw invalid(minion, `${JSON.stringify(requested)} is already allocated to another minion`);
      return requested;
    }
    const chosen = await slots.takeLowest();
    if (chosen === undefined) {
      throw invalid(minion, `no free pod CIDR: all ${range.capacity} /${range.maskSize} subnets of ${range.cluster} are allocated (remove a minion or widen --cluster-cidr)`);
    }
    return chosen;
  }

  async release(cidr: string): Promise<void> {
    await (await this.resolve())?.release(cidr);
  }

  static snapshot(storage: Storage): Promise<RangeSnapshot | undefined> {
    return RangeAllocator.snapshot(storage, POD_CIDR_ALLOCATION_KEY, PodCidrRange.parse);
  }

  /** The range the API server stored (its --cluster-cidr and --node-cidr-mask-size), or undefined before it did. */
  static async storedRange(storage: Storage): Promise<PodCidrRange | undefined> {
    return (await PodCidrAllocator.snapshot(storage))?.allocator.range as PodCidrRange | undefined;
  }

  private async resolve(): Promise<RangeAllocator | undefined> {
    if (this.slots) return this.slots;
    const snap = await PodCidrAllocator.snapshot(this.storage);
    if (snap) this.slots = snap.allocator;
    return this.slots;
  }
}

function invalid(minion: string, message: string): InvalidError {
  return new InvalidError('Minion', minion, [{ field: POD_CIDR_FIELD, message }]);
}
