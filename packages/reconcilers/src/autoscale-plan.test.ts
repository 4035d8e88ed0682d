import { planAutoscale, type AutoscaleInput } from './autoscale-plan';

const base: AutoscaleInput = { pods: [], currentReplicas: 1, minReplicas: 1, maxReplicas: 10, targetPercent: 50, history: [], now: 1_000_000, stabilizationMs: 300_000 };
const pods = (n: number, usageMilli: number, requestMilli = 200) => Array.from({ length: n }, () => ({ usageMilli, requestMilli }));

describe('planAutoscale', () => {
  it('scales up by the ratio of use to target, times the pods counted', () => {
    // 1 pod at 200m of 200m requested = 100% against 50%: 2 pods.
    expect(planAutoscale({ ...base, pods: pods(1, 200) }).plan).toEqual({ kind: 'scale', desired: 2, utilization: 100, reason: 'cpu resource utilization (percentage of request) above target: 100% of 50%' });
    // 2 pods at 190m each = 95%: ceil(1.9 * 2) = 4.
    expect(planAutoscale({ ...base, currentReplicas: 2, pods: pods(2, 190) }).plan).toMatchObject({ kind: 'scale', desired: 4, utilization: 95 });
  });

  it('holds within 10% of the target, and never leaves [min, max]', () => {
    expect(planAutoscale({ ...base, currentReplicas: 2, pods: pods(2, 108) }).plan).toMatchObject({ kind: 'hold', desired: 2, utilization: 54, reason: 'within tolerance of the target' });
    expect(planAutoscale({ ...base, maxReplicas: 3, pods: pods(1, 1000) }).plan).toMatchObject({ kind: 'scale', desired: 3 });
    expect(planAutoscale({ ...base, minReplicas: 2, currentReplicas: 1, pods: [] }).plan).toMatchObject({ kind: 'scale', desired: 2 });
  });

  it('scales down only to the highest recommendation of the stabilization window', () => {
    const history = [{ at: base.now - 200_000, replicas: 4 }];
    const held = planAutoscale({ ...base, currentReplicas: 4, pods: pods(4, 10), history });
    expect(held.plan).toMatchObject({ kind: 'hold', desired: 4, reason: 'scale-down held by the 300 s stabilization window' });
    // Once the high recommendation is older than the window: down to what use asks (1).
    const later = planAutoscale({ ...base, now: base.now + 200_000, currentReplicas: 4, pods: pods(4, 10), history: held.history });
    expect(later.plan).toMatchObject({ kind: 'scale', desired: 1, utilization: 5 });
  });

  it('does not scale pods that request no CPU, and says why', () => {
    expect(planAutoscale({ ...base, pods: pods(1, 500, 0) }).plan).toMatchObject({ kind: 'hold', reason: expect.stringContaining('missing request for cpu') });
  });
});
