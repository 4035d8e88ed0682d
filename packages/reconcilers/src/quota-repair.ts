// Makes each ResourceQuota's status.used agree with what its namespace holds (the repair half of
// Kubernetes' resource quota controller; the registry charges at admission). Admission charges a
// create before writing it and credits a delete after it, so a process killed in between leaves a
// charge too many — and a create in flight looks the same for a moment. A pass measures every
// quota's namespace straight from the store (never a cache: a stale one would lower live charges);
// a figure below the measure is raised at once, one above it is lowered only after `overPasses`
// passes in a row (default 3), as PortalRepair frees a leaked address. Each write is a
// compare-and-swap on the quota: one that lost a race with admission waits for the next pass.
import { ConflictError, objectKey, type ObjectStore, type ResourceQuota, type Storage } from '@coxswain/objects';
import { measuredStatus, quotaAmount } from '@coxswain/registry';

export interface QuotaRepairOptions {
  store: ObjectStore;
  storage: Storage;
  /** Passes in a row a figure must look too high before it is lowered (default 3). */
  overPasses?: number;
  logger?: { info(obj: object, msg: string): void };
}

export class QuotaRepair {
  private readonly overPasses: number;
  /** `namespace/quota/resource` -> passes in a row its figure has looked too high. */
  private readonly suspects = new Map<string, number>();

  constructor(private readonly opts: QuotaRepairOptions) {
    this.overPasses = opts.overPasses ?? 3;
  }

  /** One pass over every quota; returns the figures it corrected (`namespace/quota: resource old -> new`). */
  async runOnce(): Promise<string[]> {
    const fixed: string[] = [];
    const seen = new Map<string, number>();
    for (const q of (await this.opts.store.list<ResourceQuota>('resourcequotas')).items) {
      const id = `${q.metadata.namespace}/${q.metadata.name}`;
      const measured = (await measuredStatus(this.opts.storage, q))!.used!;
      const used = { ...q.status?.used };
      const changes: string[] = [];
      for (const [resource, truth] of Object.entries(measured)) {
        const held = used[resource];
        if (held === truth) continue;
        const key = `${id}/${resource}`;
        const passes = (this.suspects.get(key) ?? 0) + 1;
        // Too low (or never set) is fixed now; too high waits: it may be a create in flight.
        if (held !== undefined && isAbove(resource, held, truth) && passes < this.overPasses) {
          seen.set(key, passes);
          continue;
        }
        changes.push(`${resource} ${held ?? '-'} -> ${truth}`);
        used[resource] = truth;
      }
      if (changes.length === 0) continue;
      try {
        await this.opts.storage.guaranteedUpdate<ResourceQuota>(objectKey('resourcequotas', q.metadata.namespace, q.metadata.name), (cur) => ({ ...cur, status: { hard: cur.spec.hard, used } }), {
          expectedVersion: q.metadata.resourceVersion,
        });
        fixed.push(`${id}: ${changes.join(', ')}`);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    this.suspects.clear();
    for (const [k, n] of seen) this.suspects.set(k, n);
    if (fixed.length > 0) this.opts.logger?.info({ fixed }, 'quota usage repaired');
    return fixed;
  }
}

/** Whether the held figure is above the measured one (both in the quota's own units). */
function isAbove(resource: string, held: string, truth: string): boolean {
  return quotaAmount(resource, held) > quotaAmount(resource, truth);
}
