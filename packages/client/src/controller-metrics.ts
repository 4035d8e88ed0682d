// Work queue metrics of every controller in the process, as Kubernetes names them (workqueue_*,
// labelled by the controller's name), read from the queues' own counters at each scrape; and the
// time each reconcile takes.
import { Counter, Gauge, Histogram } from 'prom-client';
import { processMetrics } from '@coxswain/process';
import type { WorkQueue, WorkQueueStats } from './work-queue';

/** Controller name -> its queues (a process may run two of one name: tests, a handover). */
const queues = new Map<string, Set<WorkQueue<string>>>();

function eachQueue(fn: (name: string, q: WorkQueue<string>) => void): void {
  for (const [name, set] of queues) for (const q of set) fn(name, q);
}

/** A family read from every queue's stats() at each scrape, summed per controller name. */
function queueFamily(Kind: typeof Gauge | typeof Counter, name: string, help: string, read: (s: WorkQueueStats) => number): void {
  new Kind({
    name,
    help,
    labelNames: ['name'] as const,
    registers: [processMetrics],
    collect(this: Gauge<'name'> | Counter<'name'>) {
      this.reset();
      eachQueue((controller, q) => this.inc({ name: controller }, read(q.stats())));
    },
  });
}

queueFamily(Gauge, 'workqueue_depth', 'Keys waiting to be reconciled.', (s) => s.depth);
queueFamily(Counter, 'workqueue_adds_total', 'Keys queued for a reconcile.', (s) => s.adds);
queueFamily(Counter, 'workqueue_retries_total', 'Keys queued again after a failed reconcile.', (s) => s.retries);

const work = new Histogram({
  name: 'workqueue_work_duration_seconds',
  help: 'Time one reconcile of one key took.',
  labelNames: ['name'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
  registers: [processMetrics],
});

/** Counts a controller's queue until the returned function is called. */
export function watchQueue(name: string, queue: WorkQueue<string>): () => void {
  let set = queues.get(name);
  if (!set) queues.set(name, (set = new Set()));
  set.add(queue);
  return () => {
    set!.delete(queue);
    if (set!.size === 0) queues.delete(name);
  };
}

export function observeReconcile(name: string, seconds: number): void {
  work.observe({ name }, seconds);
}
