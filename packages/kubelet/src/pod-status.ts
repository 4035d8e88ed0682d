// A pod's status from what the runtime shows: per-container state (waiting with a reason, running
// since, terminated with an exit code), restart counts, the phase, and the Ready condition. Pure, so
// the rules are tested without a runtime; `sameStatus` lets the kubelet skip writes that change nothing.
import type { Condition, Container, ContainerState, ContainerStatus, Pod, PodPhase, PodStatus } from '@coxswain/objects';
import { LABELS, RuntimeContainer } from './runtime';
import { deepEqual } from '@coxswain/objects';

export interface ContainerView {
  spec: Container;
  /** The newest runtime container of this pod container. */
  current?: RuntimeContainer;
  /** The one before it, for lastState. */
  previous?: RuntimeContainer;
  /** Why it is not running, when the kubelet knows (ErrImagePull, CrashLoopBackOff, ...). */
  waiting?: { reason: string; message?: string };
  ready: boolean;
}

export interface PodStatusInput {
  pod: Pod;
  views: ContainerView[];
  hostIP: string;
  podIP?: string;
  now: number;
}

export const CONTAINER_ID_PREFIX = 'docker://';

export function restartCountOf(c: RuntimeContainer | undefined): number {
  return c ? Number(c.labels[LABELS.attempt] ?? 0) || 0 : 0;
}

function terminatedOf(c: RuntimeContainer): ContainerState {
  const exitCode = c.exitCode ?? -1;
  return {
    terminated: {
      exitCode,
      reason: c.reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
      ...(c.message ? { message: c.message } : {}),
      ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}),
      containerID: CONTAINER_ID_PREFIX + c.id,
    },
  };
}

export function containerStatusOf(view: ContainerView): ContainerStatus {
  const { spec, current, previous } = view;
  let state: ContainerState;
  let lastState: ContainerState | undefined = previous && previous.state === 'exited' ? terminatedOf(previous) : undefined;
  if (current?.state === 'running') {
    state = { running: current.startedAt ? { startedAt: current.startedAt } : {} };
  } else if (current?.state === 'exited') {
    if (view.waiting) {
      state = { waiting: view.waiting };
      lastState = terminatedOf(current);
    } else state = terminatedOf(current);
  } else {
    state = { waiting: view.waiting ?? { reason: 'ContainerCreating' } };
  }
  const status: ContainerStatus = {
    name: spec.name,
    state,
    ready: current?.state === 'running' && view.ready,
    restartCount: restartCountOf(current),
    image: spec.image,
  };
  if (lastState) status.lastState = lastState;
  if (current) status.containerID = CONTAINER_ID_PREFIX + current.id;
  return status;
}

/** Kubernetes' phase rules, over the containers' states. */
export function podPhase(pod: Pod, statuses: ContainerStatus[]): PodPhase {
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let failed = 0;
  for (const s of statuses) {
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode !== 0) failed++;
    } else if (s.lastState?.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0 || statuses.length === 0) return 'Pending';
  if (running > 0) return 'Running';
  // Everything has stopped: whether it comes back depends on the restart policy.
  const policy = pod.spec.restartPolicy ?? 'Always';
  if (policy === 'Always') return 'Running';
  if (policy === 'OnFailure') return failed > 0 ? 'Running' : 'Succeeded';
  return failed > 0 ? 'Failed' : 'Succeeded';
}

function condition(previous: Condition[] | undefined, type: string, status: Condition['status'], nowIso: string, reason?: string): Condition {
  const before = previous?.find((c) => c.type === type);
  const c: Condition = { type, status, lastTransitionTime: before && before.status === status ? before.lastTransitionTime ?? nowIso : nowIso };
  if (reason) c.reason = reason;
  return c;
}

export function computePodStatus(input: PodStatusInput): PodStatus {
  const { pod, views, hostIP, podIP, now } = input;
  const nowIso = new Date(now).toISOString();
  const containerStatuses = views.map(containerStatusOf);
  const phase = podPhase(pod, containerStatuses);
  const allReady = containerStatuses.length > 0 && containerStatuses.every((s) => s.ready);
  const ready = phase === 'Running' && allReady;
  const prev = pod.status;
  const status: PodStatus = {
    phase,
    conditions: [
      condition(prev?.conditions, 'Ready', ready ? 'True' : 'False', nowIso, ready ? undefined : 'ContainersNotReady'),
    ],
    hostIP,
    startTime: prev?.startTime ?? nowIso,
    containerStatuses,
  };
  if (podIP) status.podIP = podIP;
  return status;
}

/** Whether two statuses say the same thing (key order and undefined fields do not count). */
export function sameStatus(a: PodStatus | undefined, b: PodStatus | undefined): boolean {
  return deepEqual(a ?? {}, b ?? {});
}
