// Binding a pod to a minion on a client's request (POST .../bindings): the pod must exist and be
// unbound, and the minion must exist (a reconciler binding from its caches knows both already).
import type { ObjectStore, Pod } from '@coxswain/objects';
import { checkBindable } from './binding';

export async function bindPod(store: ObjectStore, namespace: string, b: { pod: string; minion: string }): Promise<void> {
  const pod = await store.get<Pod>('pods', namespace, b.pod);
  checkBindable(pod);
  await store.get('minions', undefined, b.minion);
  await store.bind(namespace, b.pod, b.minion, pod.metadata.resourceVersion!, pod);
}
