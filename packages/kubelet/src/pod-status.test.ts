import type { Pod } from '@coxswain/objects';
import { computePodStatus, ContainerView, podPhase, sameStatus } from './pod-status';
import { LABELS, RuntimeContainer } from './runtime';

function pod(restartPolicy?: 'Always' | 'OnFailure' | 'Never', containers = ['a']): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: { containers: containers.map((name) => ({ name, image: 'img' })), restartPolicy },
  };
}

function rc(state: RuntimeContainer['state'], attempt: number, extra: Partial<RuntimeContainer> = {}): RuntimeContainer {
  return {
    id: `id${attempt}`,
    name: `n${attempt}`,
    image: 'img',
    labels: { [LABELS.attempt]: String(attempt) },
    state,
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: '2026-01-01T00:00:01.000Z',
    ...(state === 'exited' ? { finishedAt: '2026-01-01T00:00:02.000Z', exitCode: 1 } : {}),
    ...extra,
  };
}

function status(p: Pod, views: Array<Omit<ContainerView, 'spec'>>) {
  return computePodStatus({ pod: p, views: views.map((v, i) => ({ spec: p.spec.containers[i], ...v })), hostIP: '127.0.1.11', podIP: '172.30.11.2', now: 0 });
}

describe('pod status', () => {
  it('is Pending with ContainerCreating before any container exists, and not Ready', () => {
    const s = status(pod(), [{ ready: false }]);
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses?.[0].state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    expect(s.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(s.hostIP).toBe('127.0.1.11');
  });

  it('is Running and Ready when every container runs and is ready', () => {
    const s = status(pod('Always', ['a', 'b']), [
      { current: rc('running', 0), ready: true },
      { current: rc('running', 2), previous: rc('exited', 1), ready: true },
    ]);
    expect(s.phase).toBe('Running');
    expect(s.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True' });
    expect(s.containerStatuses?.[1]).toMatchObject({
      restartCount: 2,
      ready: true,
      state: { running: { startedAt: '2026-01-01T00:00:01.000Z' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', containerID: 'docker://id1' } },
      containerID: 'docker://id2',
    });
  });

  it('keeps a pod whose readiness fails not Ready while Running', () => {
    const s = status(pod(), [{ current: rc('running', 0), ready: false }]);
    expect(s.phase).toBe('Running');
    expect(s.conditions?.[0].status).toBe('False');
  });

  it('shows a crash-looping container as Waiting/CrashLoopBackOff with its last termination', () => {
    const s = status(pod(), [{ current: rc('exited', 3), waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s' }, ready: false }]);
    expect(s.containerStatuses?.[0].state).toEqual({ waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s' } });
    expect(s.containerStatuses?.[0].lastState?.terminated?.exitCode).toBe(1);
    expect(s.containerStatuses?.[0].restartCount).toBe(3);
    expect(s.phase).toBe('Running');
  });

  it('follows the restart policy once everything stopped', () => {
    const done = (code: number) => [{ current: rc('exited', 0, { exitCode: code }), ready: false }];
    expect(status(pod('Never'), done(0)).phase).toBe('Succeeded');
    expect(status(pod('Never'), done(2)).phase).toBe('Failed');
    expect(status(pod('OnFailure'), done(0)).phase).toBe('Succeeded');
    expect(status(pod('OnFailure'), done(2)).phase).toBe('Running');
    expect(status(pod('Always'), done(0)).phase).toBe('Running');
    expect(status(pod('Never'), done(0)).containerStatuses?.[0].state.terminated?.reason).toBe('Completed');
    expect(podPhase(pod(), [])).toBe('Pending');
  });

  it('keeps the Ready condition transition time while the condition holds, and compares statuses by content', () => {
    const p = pod();
    const first = computePodStatus({ pod: p, views: [{ spec: p.spec.containers[0], current: rc('running', 0), ready: true }], hostIP: 'h', now: 1000 });
    const later = computePodStatus({ pod: { ...p, status: first }, views: [{ spec: p.spec.containers[0], current: rc('running', 0), ready: true }], hostIP: 'h', now: 99_000 });
    expect(later.conditions?.[0].lastTransitionTime).toBe(first.conditions?.[0].lastTransitionTime);
    expect(sameStatus(first, later)).toBe(true);
    const flipped = computePodStatus({ pod: { ...p, status: first }, views: [{ spec: p.spec.containers[0], current: rc('running', 0), ready: false }], hostIP: 'h', now: 99_000 });
    expect(sameStatus(first, flipped)).toBe(false);
    expect(flipped.conditions?.[0].lastTransitionTime).toBe(new Date(99_000).toISOString());
  });
});
