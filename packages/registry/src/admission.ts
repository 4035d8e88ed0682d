// Admission of a create: the namespace's policies, in Kubernetes' order — LimitRange defaults and
// bounds (a pod), then ResourceQuota charges (a pod, replication controller or service) — after the
// strategy prepared and validated the object and before it is written.
import { resourcePrefix, type KubeObject, type Pod, type ResourceQuota, type Storage } from '@coxswain/objects';
import { applyLimitRanges } from './limit-ranges';
import { chargeQuotas, measuredStatus, usageOf } from './quota';
import type { Strategy } from './strategy';

/** Gives back what admission charged, for a write that then failed. */
export type Undo = () => Promise<void>;

/** Applies the namespace's policies to `prepared` (in place; revalidated if defaulted). Returns the undo of its charges. */
export async function admitCreate(storage: Storage, strategy: Strategy, prepared: KubeObject): Promise<Undo | undefined> {
  if (prepared.kind === 'ResourceQuota') {
    prepared.status = await measuredStatus(storage, prepared as ResourceQuota);
    return undefined;
  }
  if (prepared.kind === 'Pod' && (await applyLimitRanges(storage, prepared as Pod))) strategy.validate(prepared);
  return chargeQuotas(storage, prepared);
}

/** Whether a create of `obj` has policies to meet: a kind they apply to, in a namespace that has some. */
export async function needsAdmission(storage: Storage, obj: KubeObject): Promise<boolean> {
  const namespace = obj.metadata.namespace;
  if (!namespace || (!usageOf(obj) && obj.kind !== 'ResourceQuota')) return false;
  if (obj.kind === 'ResourceQuota') return true;
  for (const resource of ['resourcequotas', 'limitranges'] as const) {
    if ((await storage.list(resourcePrefix(resource, namespace))).items.length > 0) return true;
  }
  return false;
}
