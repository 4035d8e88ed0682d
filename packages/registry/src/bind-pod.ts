// Binding a pod to a minion on a client's request: the pod must exist and be unbound, the minion must exist.
import type { ObjectStore, Pod } from '@coxswain/objects';
import { ConflictError } from '@coxswain/objects';

export async function bindPod(store: ObjectStore, namespace: string, b: { pod: string; minion: string }): Promise<void> {
  const pod = await store.get<Pod>('pods', namespace, b.pod);
  if (pod.spec?.nodeName) throw new ConflictError('pods', b.pod, `pod is already bound to minion "${pod.spec.nodeName}"`);
  await store.get('minions', undefined, b.minion);
  await store.bind(namespace, b.pod, b.minion, pod.metadata.resourceVersion!);
}
