// How long etcd takes to answer this process, by operation (get, list, txn, delete, revision,
// lease ...), in the process registry as Kubernetes names it; failures counted apart.
import { Counter, Histogram } from 'prom-client';
import { processMetrics } from '@coxswain/process';

const latency = new Histogram({
  name: 'etcd_request_duration_seconds',
  help: 'Time etcd took to answer a request of this process, by operation.',
  labelNames: ['operation'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [processMetrics],
});

const failures = new Counter({
  name: 'etcd_request_errors_total',
  help: 'Requests to etcd that failed (unreachable, timed out, compacted ...), by operation.',
  labelNames: ['operation'] as const,
  registers: [processMetrics],
});

/** Times one request to etcd; `operation` is its kind (`get`, `txn`), not its key. */
export async function timedEtcdCall<R>(operation: string, fn: () => Promise<R>): Promise<R> {
  const end = latency.startTimer({ operation });
  try {
    return await fn();
  } catch (err) {
    failures.inc({ operation });
    throw err;
  } finally {
    end();
  }
}
