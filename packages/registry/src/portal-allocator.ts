// Service portal IPs (v1beta1 `portalIP`, v1 `spec.clusterIP`): one RangeAllocator over the portal
// network at PORTAL_ALLOCATION_KEY, one address a slot. The service write comes after the
// allocator write; a crash between the two leaves an address marked with no service, which the
// portal repair (packages/reconcilers) gives back.
import { InvalidError, type Storage } from '@coxswain/objects';
import { PortalRange } from './portal-range';
import { RangeAllocator, type RangeSnapshot } from './range-allocator';

export const PORTAL_ALLOCATION_KEY = '/registry/ranges/serviceips';

/** The internal field a portal IP lives in (v1beta1 names it `portalIP`: the codec maps the path). */
export const PORTAL_FIELD = 'spec.clusterIP';

export class PortalAllocator {
  private readonly slots: RangeAllocator;

  constructor(
    storage: Storage,
    readonly range: PortalRange,
  ) {
    this.slots = new RangeAllocator(storage, PORTAL_ALLOCATION_KEY, range, PortalRange.parse);
  }

  /** Takes `requested` (when free and inside the range) or the lowest free address. `service` names errors. */
  async allocate(service: string, requested?: string): Promise<string> {
    if (requested !== undefined) {
      if (this.range.offsetOf(requested) === undefined) throw invalid(service, requested, this.whyNot(requested));
      if (!(await this.slots.claim(requested))) throw invalid(service, requested, 'is already allocated to another service');
      return requested;
    }
    const chosen = await this.slots.takeLowest();
    if (chosen === undefined) {
      throw new InvalidError('Service', service, [
        { field: PORTAL_FIELD, message: `no free portal IP: all ${this.range.capacity} addresses of ${this.range.cidr} are allocated (delete a service or widen --portal-net)` },
      ]);
    }
    return chosen;
  }

  /** Gives an address back; one outside the range (a service from before a --portal-net change) is ignored. */
  release(ip: string): Promise<void> {
    return this.slots.release(ip);
  }

  /** The addresses marked taken. */
  allocated(): Promise<Set<string>> {
    return this.slots.allocated();
  }

  /** The stored state: which addresses are marked and the revision they were read at (undefined: never written). */
  static snapshot(storage: Storage): Promise<RangeSnapshot | undefined> {
    return RangeAllocator.snapshot(storage, PORTAL_ALLOCATION_KEY, PortalRange.parse);
  }

  private whyNot(ip: string): string {
    if (PortalRange.isMalformed(ip)) return 'must be an IPv4 address such as 172.30.0.10';
    return `is not inside the portal network ${this.range.cidr} (or is its network or broadcast address)`;
  }
}

function invalid(service: string, ip: string, why: string): InvalidError {
  return new InvalidError('Service', service, [{ field: PORTAL_FIELD, message: `${JSON.stringify(ip)} ${why}` }]);
}
