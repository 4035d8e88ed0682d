// What a Deployment's rollout must do next, from the deployment, the replication controllers it owns
// and their pods: a pure function, so every rule is tested without etcd or a clock.
//
// Counts are lower bounds on availability and upper bounds on pods, taken from what the caches show
// *and* what the RCs' specs promise, so a lagging cache can never make the plan overshoot:
//  - pods of an RC     = max(its spec.replicas, the pods it owns now): pods being deleted still count;
//  - available of an RC = its available pods minus those the RC is about to delete (pods beyond its
//    spec): the replication manager may delete a ready pod, so such pods are not counted on.
// A pod is available when its Ready condition has been True for minReadySeconds.
import { createHash } from 'node:crypto';
import type { Deployment, DeploymentStatus, IntOrPercent, Pod, ReplicationController } from '@coxswain/objects';
import { isPodReady } from './replication-plan';
import { isTerminal } from './pod-resources';

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** A stable short hash of a pod template: the key order of its JSON does not matter. */
export function templateHash(template: unknown): string {
  return createHash('sha256').update(canonicalJson(template)).digest('hex').slice(0, 10);
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** "25%" of total, rounded up (surge) or down (unavailable); a number as is. */
export function resolveIntOrPercent(v: IntOrPercent | undefined, total: number, roundUp: boolean, dflt: IntOrPercent): number {
  const value = v ?? dflt;
  if (typeof value === 'number') return value;
  const pct = parseInt(value, 10);
  const exact = (pct * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable as pod counts; never both 0 (a rollout that cannot move). */
export function rollingBounds(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const r = d.spec.strategy?.rollingUpdate;
  const maxSurge = resolveIntOrPercent(r?.maxSurge, d.spec.replicas, true, '25%');
  let maxUnavailable = Math.min(resolveIntOrPercent(r?.maxUnavailable, d.spec.replicas, false, '25%'), d.spec.replicas);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** When the pod became available (Ready for minReadySeconds), in ms; undefined when not Ready. */
export function availableSince(pod: Pod, minReadySeconds: number): number | undefined {
  if (!isPodReady(pod)) return undefined;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const since = ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : 0;
  return since + minReadySeconds * 1000;
}

export interface RcCounts {
  rc: ReplicationController;
  /** Upper bound on its pods: max(spec.replicas, live pods). */
  pods: number;
  /** Pods Ready now. */
  ready: number;
  /** Lower bound on its available pods once it reaches its spec. */
  available: number;
  /** Its pods that are not Ready: what a stuck rollout reports. */
  notReady: Pod[];
}

export function countRc(rc: ReplicationController, pods: readonly Pod[], minReadySeconds: number, now: number): RcCounts & { nextAvailableAt?: number } {
  const live = pods.filter((p) => !isTerminal(p));
  let available = 0;
  let ready = 0;
  let nextAvailableAt: number | undefined;
  const notReady: Pod[] = [];
  for (const p of live) {
    const at = availableSince(p, minReadySeconds);
    if (at === undefined) notReady.push(p);
    else {
      ready++;
      if (at <= now) available++;
      else nextAvailableAt = Math.min(nextAvailableAt ?? at, at);
    }
  }
  const excess = Math.max(0, live.length - rc.spec.replicas);
  return { rc, pods: Math.max(rc.spec.replicas, live.length), ready, available: Math.max(0, available - excess), notReady, nextAvailableAt };
}

export function revisionOf(rc: ReplicationController): number {
  const n = Number(rc.metadata.annotations?.[REVISION_ANNOTATION]);
  return Number.isFinite(n) ? n : 0;
}

export interface Scale {
  rc: ReplicationController;
  replicas: number;
}

/**
 * The scaling steps for a rollout toward `newRc` (which already exists): one pass of the rolling
 * algorithm or of Recreate. Old RCs first on the way down, the new one first on the way up.
 */
export function planScaling(d: Deployment, newRc: RcCounts, old: readonly RcCounts[]): Scale[] {
  const want = d.spec.replicas;
  const steps: Scale[] = [];
  if (d.spec.strategy?.type === 'Recreate') {
    for (const o of old) if (o.rc.spec.replicas > 0) steps.push({ rc: o.rc, replicas: 0 });
    // The new pods start only when every old pod is gone.
    const oldPods = old.reduce((n, o) => n + o.pods, 0);
    if (oldPods === 0 && newRc.rc.spec.replicas !== want) steps.push({ rc: newRc.rc, replicas: want });
    return steps;
  }
  const activeOld = old.filter((o) => o.pods > 0);
  if (activeOld.length === 0) {
    if (newRc.rc.spec.replicas !== want) steps.push({ rc: newRc.rc, replicas: want });
    return steps;
  }
  const { maxSurge, maxUnavailable } = rollingBounds(d);
  const all = [newRc, ...old];
  const totalPods = all.reduce((n, c) => n + c.pods, 0);

  // Up: the new RC grows while the pods stay within replicas + maxSurge.
  const maxTotal = want + maxSurge;
  let newReplicas = newRc.rc.spec.replicas;
  if (newReplicas < want && totalPods < maxTotal) {
    newReplicas = Math.min(want, newReplicas + (maxTotal - totalPods));
    steps.push({ rc: newRc.rc, replicas: newReplicas });
  } else if (newReplicas > want) {
    newReplicas = want;
    steps.push({ rc: newRc.rc, replicas: want });
  }

  // Down: old pods go while the available ones stay at least replicas - maxUnavailable. First the old
  // pods that are not available anyway (they cost nothing), then available ones.
  const minAvailable = want - maxUnavailable;
  const available = all.reduce((n, c) => n + c.available, 0);
  const newUnavailable = Math.max(0, newRc.rc.spec.replicas - newRc.available);
  let cleanup = Math.max(0, totalPods - minAvailable - newUnavailable);
  let scaleDown = Math.max(0, available - minAvailable);
  // Oldest revision first.
  const ordered = [...activeOld].sort((a, b) => revisionOf(a.rc) - revisionOf(b.rc));
  for (const o of ordered) {
    let target = o.rc.spec.replicas;
    const unhealthy = Math.max(0, Math.min(target, target - o.available));
    const drop = Math.min(unhealthy, cleanup);
    target -= drop;
    cleanup -= drop;
    const more = Math.min(target, scaleDown);
    target -= more;
    scaleDown -= more;
    if (target !== o.rc.spec.replicas) steps.push({ rc: o.rc, replicas: target });
  }
  return steps;
}

/** The status counts of a deployment from its RCs' counts. */
export function statusCounts(d: Deployment, newRc: RcCounts | undefined, all: readonly RcCounts[]): DeploymentStatus {
  const replicas = all.reduce((n, c) => n + c.pods, 0);
  const available = all.reduce((n, c) => n + c.available, 0);
  return {
    observedGeneration: d.metadata.generation,
    replicas,
    updatedReplicas: newRc ? newRc.pods : 0,
    readyReplicas: all.reduce((n, c) => n + c.ready, 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, Math.max(replicas, d.spec.replicas) - available),
  };
}

/** Why pods are stuck, from their container states: `ErrImagePull: image "x" not found (3 pods)`. */
export function stuckReason(pods: readonly Pod[]): string | undefined {
  const reasons = new Map<string, number>();
  for (const p of pods) {
    let r: string | undefined;
    for (const cs of p.status?.containerStatuses ?? []) {
      const w = cs.state?.waiting;
      const t = cs.state?.terminated;
      if (w?.reason) r = w.message ? `${w.reason}: ${w.message}` : w.reason;
      else if (t?.reason) r = t.message ? `${t.reason}: ${t.message}` : t.reason;
      if (r) break;
    }
    r ??= p.status?.reason ? (p.status.message ? `${p.status.reason}: ${p.status.message}` : p.status.reason) : undefined;
    r ??= p.spec.nodeName ? undefined : 'Unschedulable: not bound to a minion';
    if (r) reasons.set(r, (reasons.get(r) ?? 0) + 1);
  }
  const top = [...reasons.entries()].sort((a, b) => b[1] - a[1])[0];
  return top ? `${top[0]} (${top[1]} pod${top[1] === 1 ? '' : 's'})` : undefined;
}
