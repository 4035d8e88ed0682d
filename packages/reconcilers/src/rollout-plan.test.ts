// The rollout plan's rules without etcd: bounds, the counts a lagging cache cannot fool, and the
// steps of a rolling update and of Recreate.
import type { Deployment, Pod, ReplicationController } from '@coxswain/objects';
import { countRc, planScaling, resolveIntOrPercent, rollingBounds, stuckReason, templateHash } from './rollout-plan';

const NOW = Date.parse('2026-01-01T00:01:00Z');

function deployment(replicas: number, rolling: { maxUnavailable?: number | string; maxSurge?: number | string } | 'Recreate'): Deployment {
  return {
    apiVersion: 'v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd1', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:v1' }] } },
      strategy: rolling === 'Recreate' ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: rolling },
    },
  };
}

function rc(name: string, replicas: number, revision: number): ReplicationController {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name, namespace: 'default', uid: name, annotations: { 'deployment.kubernetes.io/revision': String(revision) } },
    spec: { replicas, selector: { app: 'web' }, template: { spec: { containers: [] } } },
  };
}

function pods(n: number, ready: boolean, readySince = '2026-01-01T00:00:00Z'): Pod[] {
  return Array.from({ length: n }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${i}`, namespace: 'default' },
    spec: { nodeName: 'm1', containers: [{ name: 'web', image: 'x' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: readySince }] },
  }));
}

describe('rollout plan', () => {
  it('resolves percentages: surge rounds up, unavailable down; both 0 becomes 1 unavailable', () => {
    expect(resolveIntOrPercent('10%', 15, true, 0)).toBe(2);
    expect(resolveIntOrPercent('10%', 15, false, 0)).toBe(1);
    expect(rollingBounds(deployment(100, { maxUnavailable: 2, maxSurge: 0 }))).toEqual({ maxSurge: 0, maxUnavailable: 2 });
    expect(rollingBounds(deployment(3, { maxUnavailable: '10%', maxSurge: '0%' }))).toEqual({ maxSurge: 0, maxUnavailable: 1 });
    expect(rollingBounds(deployment(100, {}))).toEqual({ maxSurge: 25, maxUnavailable: 25 });
  });

  it('counts a pod available only after minReadySeconds, and not the pods an RC is about to delete', () => {
    const c = countRc(rc('old', 3, 1), pods(5, true, '2026-01-01T00:00:50Z'), 5, NOW);
    expect(c.available).toBe(3); // 5 ready for 10 s, 2 beyond the spec of 3
    expect(c.pods).toBe(5);
    const young = countRc(rc('old', 5, 1), pods(5, true, '2026-01-01T00:00:58Z'), 5, NOW);
    expect(young.available).toBe(0);
    expect(young.ready).toBe(5);
    expect(young.nextAvailableAt).toBe(Date.parse('2026-01-01T00:01:03Z'));
  });

  it('maxSurge 0, maxUnavailable 2: the old RC goes down by 2 first; the new one fills the room; nothing more until the new pods are available', () => {
    const d = deployment(100, { maxUnavailable: 2, maxSurge: 0 });
    const start = planScaling(d, countRc(rc('new', 0, 2), [], 0, NOW), [countRc(rc('old', 100, 1), pods(100, true), 0, NOW)]);
    expect(start.map((s) => [s.rc.metadata.name, s.replicas])).toEqual([['old', 98]]);
    const next = planScaling(d, countRc(rc('new', 0, 2), [], 0, NOW), [countRc(rc('old', 98, 1), pods(98, true), 0, NOW)]);
    expect(next.map((s) => [s.rc.metadata.name, s.replicas])).toEqual([['new', 2]]);
    const waiting = planScaling(d, countRc(rc('new', 2, 2), pods(2, false), 0, NOW), [countRc(rc('old', 98, 1), pods(98, true), 0, NOW)]);
    expect(waiting).toEqual([]);
    const moved = planScaling(d, countRc(rc('new', 2, 2), pods(2, true), 0, NOW), [countRc(rc('old', 98, 1), pods(98, true), 0, NOW)]);
    expect(moved.map((s) => [s.rc.metadata.name, s.replicas])).toEqual([['old', 96]]);
  });

  it('a cache still showing deleted pods does not let the old RC go down twice', () => {
    const d = deployment(100, { maxUnavailable: 2, maxSurge: 0 });
    // old scaled to 96 already, its 98 pods (all ready) not yet seen deleted; new 2 not ready.
    const steps = planScaling(d, countRc(rc('new', 4, 2), pods(2, true).concat(pods(2, false)), 0, NOW), [countRc(rc('old', 96, 1), pods(98, true), 0, NOW)]);
    expect(steps).toEqual([]);
  });

  it('Recreate: old RCs to 0, the new one only when no old pod is left', () => {
    const d = deployment(3, 'Recreate');
    expect(planScaling(d, countRc(rc('new', 0, 2), [], 0, NOW), [countRc(rc('old', 3, 1), pods(3, true), 0, NOW)]).map((s) => [s.rc.metadata.name, s.replicas])).toEqual([['old', 0]]);
    expect(planScaling(d, countRc(rc('new', 0, 2), [], 0, NOW), [countRc(rc('old', 0, 1), pods(1, true), 0, NOW)])).toEqual([]);
    expect(planScaling(d, countRc(rc('new', 0, 2), [], 0, NOW), [countRc(rc('old', 0, 1), [], 0, NOW)]).map((s) => [s.rc.metadata.name, s.replicas])).toEqual([['new', 3]]);
  });

  it('hashes a template the same whatever its key order', () => {
    expect(templateHash({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(templateHash({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    expect(templateHash({ a: 1 })).not.toBe(templateHash({ a: 2 }));
  });

  it('names the commonest reason of stuck pods', () => {
    const stuck = pods(3, false).map((p, i) => ({
      ...p,
      status: { phase: 'Pending' as const, containerStatuses: [{ name: 'web', image: 'x', ready: false, restartCount: 0, state: { waiting: i < 2 ? { reason: 'ErrImagePull', message: 'not found' } : { reason: 'ContainerCreating' } } }] },
    }));
    expect(stuckReason(stuck)).toBe('ErrImagePull: not found (2 pods)');
  });
});
