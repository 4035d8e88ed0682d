// A namespace's end, as Kubernetes has it: a delete marks it Terminating (deletionTimestamp and
// status.phase), the namespace controller deletes what it holds, and a delete of a Terminating
// namespace that holds nothing removes it. The namespaces the cluster itself uses cannot be deleted.
import { ForbiddenError, RESOURCES, objectKey, resourcePrefix } from '@coxswain/objects';
import type { KubeObject, Storage } from '@coxswain/objects';

/** Namespaces that always exist (the API server creates them) and may not be deleted. */
export const SYSTEM_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public'];

export interface Namespace extends KubeObject<{ finalizers?: string[] }, { phase?: 'Active' | 'Terminating' }> {
  kind: 'Namespace';
}

export function isTerminating(ns: KubeObject): boolean {
  return (ns as Namespace).status?.phase === 'Terminating' || ns.metadata.deletionTimestamp !== undefined;
}

/** Whether no namespaced object of any kind is left in the namespace. */
export async function namespaceIsEmpty(storage: Storage, name: string): Promise<boolean> {
  for (const r of RESOURCES) {
    if (!r.namespaced) continue;
    if ((await storage.list(resourcePrefix(r.resource, name))).items.length > 0) return false;
  }
  return true;
}

/**
 * A namespace delete: the first marks it Terminating and answers the marked object; once it is
 * Terminating, a delete removes it if it is empty and otherwise answers it as it stands.
 */
export async function deleteNamespace(storage: Storage, name: string, now: () => Date): Promise<Namespace> {
  if (SYSTEM_NAMESPACES.includes(name)) throw new ForbiddenError(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
  const key = objectKey('namespaces', undefined, name);
  const current = await storage.get<Namespace>(key);
  if (!isTerminating(current)) {
    return storage.guaranteedUpdate<Namespace>(key, (ns) => ({
      ...ns,
      metadata: { ...ns.metadata, deletionTimestamp: ns.metadata.deletionTimestamp ?? now().toISOString().replace(/\.\d+Z$/, 'Z') },
      status: { ...ns.status, phase: 'Terminating' },
    }));
  }
  if (!(await namespaceIsEmpty(storage, name))) return current;
  return storage.delete<Namespace>(key, { preconditions: { resourceVersion: current.metadata.resourceVersion } });
}
