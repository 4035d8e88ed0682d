// The ReplicaFailure condition, as Kubernetes' ReplicaSet and deployment controllers keep it: a
// controller whose pods cannot be created (a ResourceQuota, a LimitRange, a bad template) says so in
// its status — reason FailedCreate and the refusal's message, which names the quota and its figures —
// not only in events that expire; the Deployment that owns it carries the same condition, so
// `describe` and `rollout status` show why the rollout stands still.
import type { Condition } from '@coxswain/objects';

export const REPLICA_FAILURE = 'ReplicaFailure';

/** What one sync of a controller did about its pods: managed them, failed to create some, or did not try. */
export type ReplicaOutcome = { ok: true } | { createFailed: Error } | { skipped: true };

/**
 * A controller's conditions after a sync: ReplicaFailure set when creating failed (its
 * lastTransitionTime kept while it stays set), removed once a sync managed the pods without error,
 * unchanged when the sync did not try. Undefined when none are left.
 */
export function replicaFailureConditions(before: readonly Condition[] | undefined, outcome: ReplicaOutcome, now: Date): Condition[] | undefined {
  const others = (before ?? []).filter((c) => c.type !== REPLICA_FAILURE);
  const previous = before?.find((c) => c.type === REPLICA_FAILURE);
  let failure: Condition | undefined;
  if ('skipped' in outcome) failure = previous;
  else if ('createFailed' in outcome) {
    const since = previous?.status === 'True' ? previous.lastTransitionTime : undefined;
    failure = { type: REPLICA_FAILURE, status: 'True', reason: 'FailedCreate', message: outcome.createFailed.message, lastTransitionTime: since ?? now.toISOString() };
  }
  const all = failure ? [...others, failure] : others;
  return all.length ? all : undefined;
}

/** A Deployment's ReplicaFailure: the first of its controllers (newest first) that has one set. */
export function deploymentReplicaFailure(controllers: ReadonlyArray<{ status?: { conditions?: Condition[] } }>): Condition | undefined {
  for (const rc of controllers) {
    const c = rc.status?.conditions?.find((x) => x.type === REPLICA_FAILURE && x.status === 'True');
    if (c) return { type: REPLICA_FAILURE, status: 'True', reason: c.reason, message: c.message };
  }
  return undefined;
}
