// Binding: a pod assigned to a minion. The pod's spec.nodeName is set once, by binding (or at
// creation), guarded by the pod's revision; the minion's kubelet reads its pods from the bound-pod
// keys (/registry/boundpods/<minion>/<namespace>/<pod>), which the storage keeps in step with each
// pod write as a mirror — so a bind is one atomic write of both keys.
import { boundPodKey, ConflictError, InvalidError, objectNameProblem, REGISTRY_PREFIX, type KubeObject, type Pod } from '@coxswain/objects';
import type { Mirror } from '@coxswain/objects';

/** Refuses a pod that is bound already (ConflictError naming its minion). */
export function checkBindable(pod: Pod): void {
  const bound = pod.spec?.nodeName;
  if (bound) throw new ConflictError('pods', pod.metadata.name, `pod is already bound to minion "${bound}"`);
}

/**
 * What a bind writes: the stored pod (`pod`, at the revision the write is guarded by) with
 * spec.nodeName set, and nothing else changed. So only the minion's name is validated, not the whole
 * pod again (as Kubernetes' binding): the rest is what validation let in when the pod was written.
 * Binding is an assignment, not a spec change: generation stays.
 */
export function boundPod(pod: Pod, minion: string): Pod {
  checkBindable(pod);
  const problem = objectNameProblem(minion);
  if (problem) throw new InvalidError('Pod', pod.metadata.name, [{ field: 'spec.nodeName', message: problem }]);
  return { ...pod, spec: { ...pod.spec, nodeName: minion } };
}

/** A bound pod's copy under its minion: the pod without its status (the kubelet owns that). */
const boundPodMirror: Mirror = {
  prefix: `${REGISTRY_PREFIX}pods/`,
  keyFor: (obj: KubeObject) => {
    const pod = obj as Pod;
    return pod.spec?.nodeName ? boundPodKey(pod.spec.nodeName, pod.metadata.namespace!, pod.metadata.name) : undefined;
  },
  valueFor: (obj: KubeObject) => {
    const { status: _status, ...rest } = obj as Pod;
    return rest as Pod;
  },
};

export const POD_MIRRORS: readonly Mirror[] = [boundPodMirror];
