// What a replication controller must do, from its spec and any set of pods that includes its own and
// the orphans its selector matches (others are ignored): a pure function, so every rule is tested
// without etcd.
//  - active pods: selector matches, owned by this controller (by uid), not finished;
//  - adopt: selector matches, no controller owner, not finished;
//  - release: owned by this controller but labels no longer match;
//  - create (replicas - active) pods, or delete the extras: unbound first, then pending/unknown before
//    running, then not ready before ready, then newest first.
import type { Pod, PodPhase, ReplicationController, ReplicationControllerStatus } from '@coxswain/objects';
import { selectorMatches } from './labels';
import { hasController, ownedBy } from './owner-refs';
import { isTerminal } from './pod-resources';

export interface ReplicationPlan {
  /** Pods that count towards replicas (after adoption). */
  active: Pod[];
  adopt: Pod[];
  release: Pod[];
  /** How many pods to create (0 when deleting). */
  create: number;
  /** Pods to delete, in the order to delete them. */
  delete: Pod[];
  status: ReplicationControllerStatus;
}

export { ownedBy };

export function isPodReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && pod.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

const PHASE_RANK: Record<PodPhase, number> = { Pending: 0, Unknown: 1, Running: 2, Succeeded: 3, Failed: 3 };

/** Sort order for deletion: the pods least worth keeping first. */
export function deletionOrder(a: Pod, b: Pod): number {
  const boundA = a.spec.nodeName ? 1 : 0;
  const boundB = b.spec.nodeName ? 1 : 0;
  if (boundA !== boundB) return boundA - boundB;
  const phaseA = PHASE_RANK[a.status?.phase ?? 'Pending'];
  const phaseB = PHASE_RANK[b.status?.phase ?? 'Pending'];
  if (phaseA !== phaseB) return phaseA - phaseB;
  const readyA = isPodReady(a) ? 1 : 0;
  const readyB = isPodReady(b) ? 1 : 0;
  if (readyA !== readyB) return readyA - readyB;
  // Newest first: a fresh pod has done the least work and is most likely still warming up.
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? 1 : -1;
  return a.metadata.name < b.metadata.name ? 1 : -1;
}

export function planReplication(rc: ReplicationController, pods: Iterable<Pod>, maxBurst = 500): ReplicationPlan {
  const uid = rc.metadata.uid;
  const selector = rc.spec.selector;
  const active: Pod[] = [];
  const adopt: Pod[] = [];
  const release: Pod[] = [];
  for (const pod of pods) {
    if ((pod.metadata.namespace ?? '') !== (rc.metadata.namespace ?? '')) continue;
    const matches = selectorMatches(selector, pod.metadata.labels);
    if (ownedBy(pod, uid)) {
      if (!matches) release.push(pod);
      else if (!isTerminal(pod)) active.push(pod);
    } else if (matches && !hasController(pod) && !isTerminal(pod)) {
      adopt.push(pod);
    }
  }
  const all = active.concat(adopt);
  const diff = all.length - rc.spec.replicas;
  const toDelete = diff > 0 ? [...all].sort(deletionOrder).slice(0, Math.min(diff, maxBurst)) : [];
  return {
    active: all,
    adopt,
    release,
    create: diff < 0 ? Math.min(-diff, maxBurst) : 0,
    delete: toDelete,
    status: {
      replicas: all.length,
      readyReplicas: all.filter(isPodReady).length,
      observedGeneration: rc.metadata.generation,
    },
  };
}

/** The pod to create from the controller's template. */
export function podFromTemplate(rc: ReplicationController): Pod {
  const t = rc.spec.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: '',
      generateName: `${rc.metadata.name}-`,
      namespace: rc.metadata.namespace,
      // The seed's replication controller marked its pods with the controller's name.
      labels: { ...(t.metadata?.labels ?? {}), replicationController: rc.metadata.name },
      annotations: t.metadata?.annotations ? { ...t.metadata.annotations } : undefined,
      ownerReferences: [
        { apiVersion: 'v1', kind: 'ReplicationController', name: rc.metadata.name, uid: rc.metadata.uid ?? '', controller: true },
      ],
    },
    spec: structuredClone(t.spec),
  };
}
