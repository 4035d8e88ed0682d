// The kubelet's Prometheus families, as Kubernetes' kubelet names them: how long a pod took from
// this kubelet first seeing it to Running, and the container runtime's failed operations by kind.
import { Counter, Histogram } from 'prom-client';
import { processMetrics } from '@coxswain/process';

const podStart = new Histogram({
  name: 'kubelet_pod_start_duration_seconds',
  help: 'Time from the kubelet first seeing a pod to the pod Running (image pulls included).',
  buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120],
  registers: [processMetrics],
});

const runtimeErrors = new Counter({
  name: 'kubelet_runtime_operations_errors_total',
  help: 'Container runtime operations that failed, by operation.',
  labelNames: ['operation_type'] as const,
  registers: [processMetrics],
});

export function observePodStart(seconds: number): void {
  podStart.observe(seconds);
}

/** `what` names the operation as the runtime's errors do (`create container web-1`): its verb is the type. */
export function countRuntimeError(what: string): void {
  runtimeErrors.inc({ operation_type: what.split(' ')[0] || 'unknown' });
}
