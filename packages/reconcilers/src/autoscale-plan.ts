// How many replicas a HorizontalPodAutoscaler wants, by Kubernetes' rule for a CPU target: the
// ratio of the pods' average use (as a percentage of what they request) to the target, times the
// pods counted; no change within a tolerance of the target; clamped to [min, max]; and a scale-down
// only to the highest recommendation of the stabilization window, so a dip in load does not shrink
// the target only to grow it again. Pure: the controller gives it the figures and the clock.

export const DEFAULT_TARGET_CPU_PERCENT = 80;
/** |ratio - 1| within this: no change (Kubernetes' --horizontal-pod-autoscaler-tolerance). */
export const TOLERANCE = 0.1;

export interface PodFigures {
  /** CPU in use, millicores. */
  usageMilli: number;
  /** CPU requested, millicores (0: the pod requests none). */
  requestMilli: number;
}

export interface AutoscaleInput {
  /** Ready pods of the target with a figure from the Metrics API. */
  pods: PodFigures[];
  currentReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  targetPercent: number;
  /** Recent recommendations (time in ms, replicas), oldest first; the window's are kept. */
  history: Array<{ at: number; replicas: number }>;
  now: number;
  stabilizationMs: number;
}

export type AutoscalePlan =
  | { kind: 'scale'; desired: number; utilization: number; reason: string }
  | { kind: 'hold'; desired: number; utilization?: number; reason: string };

export function planAutoscale(input: AutoscaleInput): { plan: AutoscalePlan; history: AutoscaleInput['history'] } {
  const { pods, currentReplicas, minReplicas, maxReplicas, targetPercent, now, stabilizationMs } = input;
  const clamp = (n: number) => Math.min(maxReplicas, Math.max(minReplicas, n));
  const history = input.history.filter((h) => now - h.at <= stabilizationMs);
  if (!pods.length) {
    // Nothing measured (no ready pod with figures yet): only the bounds apply.
    const desired = clamp(currentReplicas);
    return { plan: desired !== currentReplicas ? { kind: 'scale', desired, utilization: 0, reason: `outside [${minReplicas}, ${maxReplicas}]` } : { kind: 'hold', desired, reason: 'no ready pod has CPU figures yet' }, history };
  }
  if (pods.some((p) => p.requestMilli <= 0)) {
    return { plan: { kind: 'hold', desired: currentReplicas, reason: 'missing request for cpu: a CPU target is a percentage of what the pods request' }, history };
  }
  const usage = pods.reduce((a, p) => a + p.usageMilli, 0);
  const requested = pods.reduce((a, p) => a + p.requestMilli, 0);
  const utilization = Math.round((100 * usage) / requested);
  const ratio = usage / requested / (targetPercent / 100);
  let recommended = Math.abs(ratio - 1) <= TOLERANCE ? currentReplicas : Math.ceil(ratio * pods.length);
  recommended = clamp(recommended);
  history.push({ at: now, replicas: recommended });
  // Down only as far as the highest recommendation in the window.
  const desired = recommended < currentReplicas ? Math.min(currentReplicas, Math.max(...history.map((h) => h.replicas))) : recommended;
  if (desired === currentReplicas) {
    const why = recommended < currentReplicas ? `scale-down held by the ${Math.round(stabilizationMs / 1000)} s stabilization window` : 'within tolerance of the target';
    return { plan: { kind: 'hold', desired, utilization, reason: why }, history };
  }
  const reason = `cpu resource utilization (percentage of request) ${desired > currentReplicas ? 'above' : 'below'} target: ${utilization}% of ${targetPercent}%`;
  return { plan: { kind: 'scale', desired, utilization, reason }, history };
}
