// The scheduler's Prometheus families, as Kubernetes' scheduler names them: attempts by result
// (scheduled, unschedulable, error: a binding that lost a race and is retried) and how long the
// algorithm took for each, in the process registry.
import { Counter, Histogram } from 'prom-client';
import { processMetrics } from '@coxswain/process';

export type AttemptResult = 'scheduled' | 'unschedulable' | 'error';

const attempts = new Counter({
  name: 'scheduler_schedule_attempts_total',
  help: 'Attempts to schedule a pod, by result.',
  labelNames: ['result'] as const,
  registers: [processMetrics],
});

const duration = new Histogram({
  name: 'scheduler_scheduling_algorithm_duration_seconds',
  help: 'Time the filter and score of one pod took.',
  buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
  registers: [processMetrics],
});

export function countAttempt(result: AttemptResult): void {
  attempts.inc({ result });
}

export function observeAlgorithm(seconds: number): void {
  duration.observe(seconds);
}
