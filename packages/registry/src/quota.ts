// ResourceQuota admission, after Kubernetes' ResourceQuota admission plugin, in the registry so that
// every writer (the API's clients, the replication manager, the deployment controller) meets it.
//
// A create of a pod, replication controller or service is charged to every quota of its namespace
// that limits something it uses: the quota's status.used is raised by a compare-and-swap on the
// quota (storage.guaranteedUpdate re-reads and re-checks on a lost race), and only then is the
// object written — so concurrent creates can never together pass a limit. If the object's write
// fails, the charge is given back; a delete gives its usage back. A limit that would be passed is a
// 403 naming the quota and the figures, in Kubernetes' words:
//   pods "x" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=20, limited: pods=20
import {
  ForbiddenError,
  formatCpu,
  formatMemory,
  NotFoundError,
  objectKey,
  parseCpu,
  parseMemory,
  resourcePrefix,
  type KubeObject,
  type Pod,
  type QuotaResource,
  type ResourceQuota,
  type Storage,
} from '@coxswain/objects';

/** What an object counts against quotas: amounts (millicores, bytes, objects), and what a container left unset. */
export interface Usage {
  amounts: Partial<Record<QuotaResource, number>>;
  /** Resources some container does not specify: a quota limiting one of them refuses the pod. */
  unspecified: QuotaResource[];
}

/** What one object uses, or undefined for a kind no quota limits. */
export function usageOf(obj: KubeObject): Usage | undefined {
  switch (obj.kind) {
    case 'Pod': return podUsage(obj as Pod);
    case 'ReplicationController': return { amounts: { replicationcontrollers: 1 }, unspecified: [] };
    case 'Service': return { amounts: { services: 1 }, unspecified: [] };
    default: return undefined;
  }
}

/** A container's requests are what it asks for, else its limits (as Kubernetes defaults them). */
function podUsage(pod: Pod): Usage {
  const amounts: Usage['amounts'] = { pods: 1, 'requests.cpu': 0, 'requests.memory': 0, 'limits.cpu': 0, 'limits.memory': 0 };
  const unspecified = new Set<QuotaResource>();
  for (const c of pod.spec.containers) {
    const limits = c.resources?.limits ?? {};
    const requests = { ...limits, ...c.resources?.requests };
    for (const [kind, list] of [['requests', requests], ['limits', limits]] as const) {
      for (const r of ['cpu', 'memory'] as const) {
        const resource = `${kind}.${r}` as QuotaResource;
        const q = list[r];
        if (q === undefined) unspecified.add(resource);
        else amounts[resource]! += r === 'cpu' ? parseCpu(q) : parseMemory(q);
      }
    }
  }
  return { amounts, unspecified: [...unspecified] };
}

/** A quota figure as a number: millicores, bytes or objects. */
export function quotaAmount(resource: string, q: string): number {
  if (resource.endsWith('.cpu')) return parseCpu(q);
  if (resource.endsWith('.memory')) return parseMemory(q);
  return Number(q);
}

function formatAmount(resource: string, n: number): string {
  if (resource.endsWith('.cpu')) return formatCpu(n);
  if (resource.endsWith('.memory')) return formatMemory(n);
  return String(n);
}

const figures = (resources: string[], value: (r: string) => string) => resources.map((r) => `${r}=${value(r)}`).join(',');

/** `pods "web-x"`: how Kubernetes names the refused object. */
function subject(obj: KubeObject): string {
  return `${obj.kind === 'ReplicationController' ? 'replicationcontrollers' : `${obj.kind.toLowerCase()}s`} "${obj.metadata.name}"`;
}

/** The quota with `usage` added: ForbiddenError if a limit would be passed or a limited resource is unspecified. */
function charged(q: ResourceQuota, usage: Usage, obj: KubeObject): ResourceQuota {
  const hard = q.spec.hard;
  const tracked = Object.keys(hard).filter((r) => usage.amounts[r as QuotaResource] !== undefined);
  const unspecified = tracked.filter((r) => usage.unspecified.includes(r as QuotaResource));
  if (unspecified.length > 0) {
    throw new ForbiddenError(`${subject(obj)} is forbidden: failed quota: ${q.metadata.name}: must specify ${unspecified.join(',')}`);
  }
  const usedNow = (r: string) => quotaAmount(r, q.status?.used?.[r] ?? '0');
  const exceeded = tracked.filter((r) => usedNow(r) + usage.amounts[r as QuotaResource]! > quotaAmount(r, hard[r]!));
  if (exceeded.length > 0) {
    throw new ForbiddenError(
      `${subject(obj)} is forbidden: exceeded quota: ${q.metadata.name}, requested: ${figures(exceeded, (r) => formatAmount(r, usage.amounts[r as QuotaResource]!))}, ` +
        `used: ${figures(exceeded, (r) => formatAmount(r, usedNow(r)))}, limited: ${figures(exceeded, (r) => hard[r]!)}`,
    );
  }
  return withUsed(q, tracked, (r) => usedNow(r) + usage.amounts[r as QuotaResource]!);
}

function withUsed(q: ResourceQuota, resources: string[], value: (r: string) => number): ResourceQuota {
  const used = { ...q.status?.used };
  for (const r of resources) used[r] = formatAmount(r, Math.max(0, value(r)));
  return { ...q, status: { hard: q.spec.hard, used } };
}

/** What a batch charge answers: each object's refusal (or undefined), and how to give one's charge back. */
export interface Charges {
  refusals: (Error | undefined)[];
  /** Gives object i's charge back (its write failed). */
  giveBack(i: number): Promise<void>;
}

/**
 * Charges new objects (of any namespaces) to the quotas of their namespaces: one CAS per quota for
 * the whole batch, taking the objects in order while they fit (a lost race re-reads the quota and
 * takes them again). An object refused by one quota is given back to the quotas that took it.
 */
export async function chargeQuotas(
  storage: Storage,
  objs: readonly KubeObject[],
  quotasIn: (namespace: string) => Promise<ResourceQuota[]>,
): Promise<Charges> {
  const refusals: (Error | undefined)[] = objs.map(() => undefined);
  /** Object index -> the quotas (namespace, name) that charged it. */
  const chargedBy = new Map<number, string[]>();
  const usages = objs.map((o) => usageOf(o));
  const byNamespace = new Map<string, number[]>();
  usages.forEach((u, i) => {
    const ns = objs[i]!.metadata.namespace;
    if (u && ns) byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), i]);
  });
  const giveBack = async (i: number) => {
    const names = chargedBy.get(i);
    chargedBy.delete(i);
    if (names?.length) await creditQuotas(storage, objs[i]!.metadata.namespace!, usages[i]!, names);
  };
  for (const [namespace, members] of byNamespace) {
    for (const q of await quotasIn(namespace)) {
      const tracks = (i: number) => Object.keys(q.spec.hard).some((r) => usages[i]!.amounts[r as QuotaResource] !== undefined);
      let took: number[] = [];
      let refused = new Map<number, Error>();
      try {
        await storage.guaranteedUpdate<ResourceQuota>(objectKey('resourcequotas', namespace, q.metadata.name), (cur) => {
          took = [];
          refused = new Map();
          let next = cur;
          for (const i of members) {
            if (refusals[i] || !tracks(i)) continue;
            try {
              next = charged(next, usages[i]!, objs[i]!);
              took.push(i);
            } catch (err) {
              if (!(err instanceof ForbiddenError)) throw err;
              refused.set(i, err);
            }
          }
          return next;
        });
      } catch (err) {
        if (err instanceof NotFoundError) continue; // a quota deleted meanwhile limits nothing
        for (const i of members) await giveBack(i);
        throw err;
      }
      for (const i of took) chargedBy.set(i, [...(chargedBy.get(i) ?? []), q.metadata.name]);
      for (const [i, err] of refused) {
        refusals[i] = err;
        await giveBack(i);
      }
    }
  }
  return { refusals, giveBack };
}

/** Gives a deleted object's usage back to the named quotas of its namespace. */
export async function creditQuotas(storage: Storage, namespace: string, usage: Usage, quotas: readonly string[]): Promise<void> {
  for (const name of quotas) {
    try {
      await storage.guaranteedUpdate<ResourceQuota>(objectKey('resourcequotas', namespace, name), (cur) => {
        const tracked = Object.keys(cur.spec.hard).filter((r) => usage.amounts[r as QuotaResource] !== undefined);
        return withUsed(cur, tracked, (r) => quotaAmount(r, cur.status?.used?.[r] ?? '0') - usage.amounts[r as QuotaResource]!);
      });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
}

/** A new quota's status: its limits, and what the namespace already holds against them. */
export async function measuredStatus(storage: Storage, quota: ResourceQuota): Promise<ResourceQuota['status']> {
  const namespace = quota.metadata.namespace!;
  const total: Partial<Record<string, number>> = {};
  for (const resource of ['pods', 'replicationControllers', 'services'] as const) {
    for (const obj of (await storage.list<KubeObject>(resourcePrefix(resource, namespace))).items) {
      const usage = usageOf(obj);
      for (const [r, n] of Object.entries(usage?.amounts ?? {})) total[r] = (total[r] ?? 0) + n!;
    }
  }
  const hard = quota.spec.hard;
  return { hard, used: Object.fromEntries(Object.keys(hard).map((r) => [r, formatAmount(r, total[r] ?? 0)])) };
}
