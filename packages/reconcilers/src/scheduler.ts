// The scheduler: binds every pod without a minion. reconcile(podKey) reads the pod from the informer
// cache, decides from the incremental per-minion accounting (SchedulingCache), assumes the pod on the
// chosen minion at once (so concurrent workers see it) and writes the binding in one etcd txn
// (store.bindMany via BindBatcher, each binding guarded by its pod's revision: a second scheduler
// racing for the same pod gets a ConflictError and never binds it twice; several workers' bindings
// share one transaction).
//
// Binding is asynchronous, as in Kubernetes: the worker moves on to the next pod once the pod is
// assumed, and the binding's outcome is handled when etcd answers (a failed one un-assumes the pod
// and requeues it with backoff). With a synchronous bind the workers' count capped the bindings in
// flight, so the scheduler's rate was workers / etcd round trip (~290 pods/s at density). At most
// maxBindsInFlight bindings wait at once; beyond that a worker waits for its own.
//
// A pod that fits nowhere gets a PodScheduled=False condition and a FailedScheduling event, and is
// parked: it is retried when something that could make it fit changes (a minion, a pod going away),
// at most once per retryDelayMs, and once a minute regardless, never in a hot loop.
import { Clock, ConflictError, deepEqual, metaNamespaceKey, Minion, NotFoundError, ObjectStore, Pod, realClock, Service } from '@coxswain/objects';
import { createLogger, Logger } from '@coxswain/process';
import { EventRecorder, Controller } from '@coxswain/client';
import { BindBatcher } from './bind-batcher';
import type { CacheReader, Handlers } from './object-cache';
import { isTerminal } from './pod-resources';
import type { PackingPolicy } from './priorities';
import { schedulePod } from './scheduling-algorithm';
import { SchedulingCache } from './scheduling-cache';
import { countAttempt, observeAlgorithm } from './scheduler-metrics';

export interface SchedulerOptions {
  store: ObjectStore;
  pods: CacheReader<Pod>;
  recorder: EventRecorder;
  policy?: PackingPolicy;
  random?: () => number;
  /** See ScheduleOptions: stop filtering once this % of minions fit. Default adaptive (50% -> 5%). */
  percentageOfMinionsToScore?: number;
  workers?: number;
  /** Bindings in flight before a worker waits for its own. Default 1,000. */
  maxBindsInFlight?: number;
  /** Least time between two retries of the unschedulable pods. Default 1 s. */
  retryDelayMs?: number;
  /** Retry unschedulable pods this often even if nothing seemed to change. Default 60 s. */
  resyncUnschedulableMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export class Scheduler {
  readonly cache = new SchedulingCache();
  readonly controller: Controller;
  private readonly unschedulable = new Set<string>();
  private readonly opts: SchedulerOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private retriedAtGeneration = -1;
  private retryTimer?: AbortController;
  private resyncTimer?: AbortController;
  readonly stats = { bound: 0, conflicts: 0, unschedulable: 0 };
  readonly binder: BindBatcher;
  private readonly binding = new Set<Promise<void>>();

  constructor(opts: SchedulerOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger ?? createLogger('scheduler');
    this.binder = new BindBatcher({ bindMany: (b) => opts.store.bindMany(b) });
    this.controller = new Controller({ name: 'scheduler', reconcile: (k) => this.reconcile(k), workers: opts.workers ?? 8, clock: this.clock, logger: this.log });
  }

  readonly podHandlers: Handlers<Pod> = {
    onAdd: (pod) => {
      if (pod.spec.nodeName) this.cache.updatePod(pod);
      else if (!isTerminal(pod)) this.controller.enqueue(metaNamespaceKey(pod));
      this.maybeRetry();
    },
    onUpdate: (old, pod) => {
      const key = metaNamespaceKey(pod);
      if (pod.spec.nodeName) {
        this.unschedulable.delete(key);
        this.cache.updatePod(pod);
      } else if (!isTerminal(pod)) {
        // A parked pod whose status we just wrote is not news; a changed spec or labels is.
        const parked = this.unschedulable.has(key);
        if (!parked || !deepEqual(old.spec, pod.spec) || !deepEqual(old.metadata.labels, pod.metadata.labels)) {
          this.controller.enqueue(key);
        }
      }
      this.maybeRetry();
    },
    onDelete: (pod) => {
      const key = metaNamespaceKey(pod);
      this.unschedulable.delete(key);
      this.cache.removePod(key);
      this.maybeRetry();
    },
  };

  readonly minionHandlers: Handlers<Minion> = {
    onAdd: (m) => {
      this.cache.setMinion(m);
      this.maybeRetry();
    },
    onUpdate: (_old, m) => {
      this.cache.setMinion(m);
      this.maybeRetry();
    },
    onDelete: (m) => {
      this.cache.removeMinion(m.metadata.name);
      this.maybeRetry();
    },
  };

  readonly serviceHandlers: Handlers<Service> = {
    onAdd: (s) => this.cache.setService(s),
    onUpdate: (_o, s) => this.cache.setService(s),
    onDelete: (s) => this.cache.removeService(metaNamespaceKey(s)),
  };

  /** Starts the workers (call once the pod, minion and service caches have synced). */
  start(): void {
    this.retriedAtGeneration = this.cache.changeGeneration();
    this.controller.start();
    this.startResync();
  }

  async stop(): Promise<void> {
    this.retryTimer?.abort();
    this.resyncTimer?.abort();
    await this.controller.stop();
    // Let the bindings already sent finish (their outcome is written or known) before the store closes.
    while (this.binding.size) await Promise.all([...this.binding]);
  }

  /** Pods parked as unschedulable (for tests and /healthz detail). */
  unschedulableCount(): number {
    return this.unschedulable.size;
  }

  async reconcile(key: string): Promise<void> {
    const pod = this.opts.pods.get(key);
    if (!pod || pod.spec.nodeName || isTerminal(pod)) {
      this.unschedulable.delete(key);
      return;
    }
    // Assumed: our bind of it is in flight or succeeded and the informer has not caught up.
    if (this.cache.isPlaced(key)) return;
    const started = performance.now();
    const result = schedulePod(pod, this.cache, {
      policy: this.opts.policy,
      random: this.opts.random,
      percentageOfMinionsToScore: this.opts.percentageOfMinionsToScore,
    });
    observeAlgorithm((performance.now() - started) / 1000);
    if (result.minion === undefined) {
      countAttempt('unschedulable');
      this.stats.unschedulable++;
      this.unschedulable.add(key);
      this.log.debug({ pod: key, why: result.message }, 'pod does not fit');
      this.opts.recorder.warning(pod, 'FailedScheduling', result.message);
      await this.markUnschedulable(pod, result.message);
      return;
    }
    const minion = result.minion;
    this.cache.assume(pod, minion);
    const done = this.bind(key, pod, minion);
    this.binding.add(done);
    void done.finally(() => this.binding.delete(done));
    if (this.binding.size > (this.opts.maxBindsInFlight ?? 1000)) await done;
  }

  /** Writes one binding and handles its outcome; never rejects. */
  private async bind(key: string, pod: Pod, minion: string): Promise<void> {
    try {
      // The cached pod goes along: its revision guards the write, so the store need not re-read it;
      // concurrent workers' bindings share etcd transactions (BindBatcher).
      await this.binder.bind({ namespace: pod.metadata.namespace ?? 'default', podName: pod.metadata.name, minion, pod });
    } catch (err) {
      this.cache.forget(pod);
      if (err instanceof NotFoundError) return; // deleted meanwhile: nothing to do
      if (err instanceof ConflictError) this.stats.conflicts++;
      countAttempt('error');
      // Conflict: the pod changed or someone else bound it; retry from the (newer) cache.
      this.log.debug({ pod: key, err: err instanceof Error ? err.message : String(err) }, 'binding failed; will retry');
      this.controller.enqueueRateLimited(key);
      return;
    }
    this.stats.bound++;
    countAttempt('scheduled');
    this.unschedulable.delete(key);
    this.opts.recorder.normal(pod, 'Scheduled', `Successfully assigned ${key} to ${minion}`);
  }

  private async markUnschedulable(pod: Pod, message: string): Promise<void> {
    const conditions = pod.status?.conditions ?? [];
    const cur = conditions.find((c) => c.type === 'PodScheduled');
    if (cur && cur.status === 'False' && cur.reason === 'Unschedulable' && cur.message === message) return;
    const cond = { type: 'PodScheduled', status: 'False' as const, reason: 'Unschedulable', message, lastTransitionTime: new Date(this.clock.now()).toISOString() };
    try {
      await this.opts.store.updateStatus<Pod>({
        ...pod,
        status: { ...(pod.status ?? {}), phase: pod.status?.phase ?? 'Pending', conditions: [...conditions.filter((c) => c.type !== 'PodScheduled'), cond] },
      }, { cached: pod }); // the informer's copy: one txn, the CAS still guards it
    } catch (err) {
      // The pod moved on (changed or deleted); the next retry writes the condition if still needed.
      if (!(err instanceof ConflictError) && !(err instanceof NotFoundError)) throw err;
    }
  }

  /** Re-queues the parked pods once something changed that could make them fit (debounced). */
  private maybeRetry(): void {
    if (this.unschedulable.size === 0 || this.retryTimer || this.controller.queue.isShuttingDown()) return;
    if (this.cache.changeGeneration() === this.retriedAtGeneration) return;
    const abort = new AbortController();
    this.retryTimer = abort;
    void this.clock.sleep(this.opts.retryDelayMs ?? 1000, abort.signal).then(() => {
      this.retryTimer = undefined;
      if (abort.signal.aborted) return;
      this.retryParked();
    });
  }

  private retryParked(): void {
    this.retriedAtGeneration = this.cache.changeGeneration();
    for (const key of this.unschedulable) this.controller.enqueue(key);
  }

  private startResync(): void {
    const abort = new AbortController();
    this.resyncTimer = abort;
    const loop = async () => {
      while (!abort.signal.aborted) {
        await this.clock.sleep(this.opts.resyncUnschedulableMs ?? 60_000, abort.signal);
        if (!abort.signal.aborted) this.retryParked();
      }
    };
    loop().catch((err) => this.log.error({ err }, 'unschedulable resync loop ended'));
  }
}
