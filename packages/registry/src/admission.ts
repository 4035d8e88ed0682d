// Admission of a create: the namespace's policies, in Kubernetes' order — LimitRange defaults and
// bounds (a pod), then ResourceQuota charges (a pod, replication controller or service) — after the
// strategy prepared and validated the object and before it is written.
import type { KubeObject, LimitRange, Pod, ResourceQuota, Storage } from '@coxswain/objects';
import { applyLimitRanges } from './limit-ranges';
import type { PolicyReads } from './policy-reads';
import { chargeQuotas, measuredStatus, usageOf, type Charges } from './quota';
import type { Strategy } from './strategy';

/**
 * Applies the namespace's policies to each prepared object (in place; revalidated if defaulted):
 * each one's refusal (or undefined), and the undo of each one's charges.
 */
export async function admitCreates(storage: Storage, policies: PolicyReads, strategies: readonly Strategy[], prepared: readonly KubeObject[]): Promise<Charges> {
  const refusals: (Error | undefined)[] = prepared.map(() => undefined);
  const charge: KubeObject[] = [];
  const at: number[] = [];
  // A namespace's quotas and (for pods) limit ranges are read at once, each once per call: a create
  // in a namespace with no policy pays one round trip.
  const ranges = new Map<string, Promise<LimitRange[]>>();
  const quotas = new Map<string, Promise<ResourceQuota[]>>();
  const once = <T>(m: Map<string, Promise<T>>, ns: string, read: () => Promise<T>) => {
    if (!m.has(ns)) {
      const p = read();
      p.catch(() => undefined); // awaited below, or the call failed before: never an unhandled rejection
      m.set(ns, p);
    }
    return m.get(ns)!;
  };
  const rangesOf = (ns: string) => once(ranges, ns, () => policies.limitRangesOf(ns));
  const quotasIn = (ns: string) => once(quotas, ns, () => policies.quotasOf(ns));
  for (const obj of prepared) {
    const ns = obj.metadata.namespace;
    if (ns && usageOf(obj)) quotasIn(ns);
    if (ns && obj.kind === 'Pod') rangesOf(ns);
  }
  for (const [i, obj] of prepared.entries()) {
    try {
      if (obj.kind === 'ResourceQuota') obj.status = await measuredStatus(storage, obj as ResourceQuota);
      else if (obj.kind === 'Pod' && obj.metadata.namespace && applyLimitRanges(await rangesOf(obj.metadata.namespace), obj as Pod)) strategies[i]!.validate(obj);
      charge.push(obj);
      at.push(i);
    } catch (err) {
      refusals[i] = err as Error;
    }
  }
  const charges = await chargeQuotas(storage, charge, quotasIn);
  charges.refusals.forEach((err, j) => (refusals[at[j]!] = err));
  return { refusals, giveBack: (i) => (at.includes(i) ? charges.giveBack(at.indexOf(i)) : Promise.resolve()) };
}

/** Whether a create of `obj` has policies to meet: a kind they apply to, in a namespace that has some. */
export async function needsAdmission(policies: PolicyReads, obj: KubeObject): Promise<boolean> {
  const namespace = obj.metadata.namespace;
  if (!namespace || (!usageOf(obj) && obj.kind !== 'ResourceQuota')) return false;
  if (obj.kind === 'ResourceQuota') return true;
  const [quotas, ranges] = await Promise.all([policies.quotasOf(namespace), policies.limitRangesOf(namespace)]);
  return quotas.length > 0 || ranges.length > 0;
}
