// Makes the portal allocator agree with the services (Kubernetes' service IP repair controller).
// A service is created with two writes — the allocator's, then the service's — and deleted with
// two as well; an API server killed between them leaves an address marked that no service holds
// (a leak). A pass lists the services straight from the store (never a cache: a stale cache would
// free live addresses), then compare-and-swaps the allocator to hold exactly the services' addresses,
// plus any leak seen on fewer than `leakPasses` passes in a row: a create in flight looks like a
// leak for a moment, and must not have its address handed out twice. Addresses held by services
// but unmarked (a lost allocator write) are marked again; two services holding one address are reported.
import { ConflictError, type ObjectStore, type Service, type Storage } from '@coxswain/objects';
import { PortalAllocator } from '@coxswain/registry';

export interface PortalRepairOptions {
  store: ObjectStore;
  storage: Storage;
  /** Passes in a row an address must look leaked before it is given back (default 3). */
  leakPasses?: number;
  logger?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

export interface RepairPass {
  /** Addresses given back (leaked for leakPasses passes). */
  released: string[];
  /** Addresses a service holds that the allocator had lost, marked again. */
  restored: string[];
  /** Addresses held by more than one service: `ip -> names`. */
  duplicates: Record<string, string[]>;
}

export class PortalRepair {
  private readonly leakPasses: number;
  /** Address -> passes in a row it has looked leaked. */
  private readonly suspects = new Map<string, number>();

  constructor(private readonly opts: PortalRepairOptions) {
    this.leakPasses = opts.leakPasses ?? 3;
  }

  /** One pass; a lost race with an allocation is retried on the next pass. */
  async runOnce(): Promise<RepairPass> {
    const pass: RepairPass = { released: [], restored: [], duplicates: {} };
    const snap = await PortalAllocator.snapshot(this.opts.storage);
    if (!snap) return pass; // no service ever allocated
    const holders = new Map<string, string[]>();
    for (const svc of (await this.opts.store.list<Service>('services')).items) {
      const ip = svc.spec.clusterIP;
      if (!ip) continue;
      holders.set(ip, [...(holders.get(ip) ?? []), `${svc.metadata.namespace}/${svc.metadata.name}`]);
    }
    const keep = new Set(holders.keys());
    for (const [ip, names] of holders) {
      if (names.length > 1) pass.duplicates[ip] = names;
      if (!snap.allocated.has(ip)) pass.restored.push(ip);
    }
    const seen = new Map<string, number>();
    for (const ip of snap.allocated) {
      if (keep.has(ip)) continue;
      const passes = (this.suspects.get(ip) ?? 0) + 1;
      if (passes >= this.leakPasses) pass.released.push(ip);
      else {
        keep.add(ip);
        seen.set(ip, passes);
      }
    }
    try {
      if (pass.released.length > 0 || pass.restored.length > 0) await snap.allocator.replace(snap.version, keep);
    } catch (err) {
      if (err instanceof ConflictError) return { released: [], restored: [], duplicates: pass.duplicates };
      throw err;
    }
    this.suspects.clear();
    for (const [ip, n] of seen) this.suspects.set(ip, n);
    for (const [ip, names] of Object.entries(pass.duplicates)) this.opts.logger?.warn({ ip, services: names }, 'portal IP held by more than one service');
    if (pass.released.length || pass.restored.length) this.opts.logger?.info({ released: pass.released, restored: pass.restored }, 'portal allocator repaired');
    return pass;
  }
}
