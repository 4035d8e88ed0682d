// A controller: a work queue of keys and N workers that run reconcile(key) (controller-runtime's
// contract). reconcile is level-based: it reads the current state from informer caches, makes the
// world match, and is safe to run any number of times. The queue guarantees a key is never on two
// workers at once, and a burst of events for one key becomes one run.
//  - an error requeues the key with per-key exponential backoff (plus an overall rate limit);
//  - a TerminalError is logged and not retried (retrying cannot help);
//  - success forgets the key's backoff; `requeueAfterMs` asks for another look later (timers).
// This is the one worker loop of the tree: the kubelet (pod keys), the proxy (service keys) and every
// reconciler (scheduler, replication manager, endpoints and minion controllers) run on it.
import { Clock, KubeObject, realClock, metaNamespaceKey } from '@coxswain/objects';
import { createLogger, Logger } from '@coxswain/process';
import type { EventHandler } from './informer';
import { WorkQueue } from './work-queue';
import { observeReconcile, watchQueue } from './controller-metrics';

/**
 * How long the workers may run keys back to back before they let the event loop in. A key whose
 * reconcile needs no I/O (the scheduler's decision) resolves in microtasks, and Node runs microtasks
 * until none is left: a queue of 1,000 pods held the scheduler's event loop for seconds, and with it
 * the watch events and etcd answers it was waiting for.
 */
export const WORK_SLICE_MS = 50;

export interface ReconcileResult {
  /** Run this key again after this long even if nothing changes (deadlines, expiring expectations). */
  requeueAfterMs?: number;
}

export type ReconcileFn = (key: string) => Promise<ReconcileResult | void>;

/** An error that retrying will not fix: log it, do not requeue. */
export class TerminalError extends Error {}

export interface ControllerOptions {
  name: string;
  reconcile: ReconcileFn;
  /** Concurrent workers. Default 1. */
  workers?: number;
  queue?: WorkQueue<string>;
  clock?: Clock;
  logger?: Logger;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue<string>;
  private readonly reconcileFn: ReconcileFn;
  private readonly workers: number;
  private readonly log: Logger;
  private running?: Promise<void>;
  private idleWaiters: Array<() => void> = [];
  /** When the workers' current run without a turn of the event loop began (see WORK_SLICE_MS). */
  private sliceStartedAt = 0;
  private inSlice = false;
  /** Counters for health and tests: runs of reconcile, and runs that threw. */
  readonly stats = { reconciles: 0, errors: 0 };

  constructor(opts: ControllerOptions) {
    this.name = opts.name;
    this.reconcileFn = opts.reconcile;
    this.workers = Math.max(1, opts.workers ?? 1);
    this.queue = opts.queue ?? new WorkQueue<string>({ clock: opts.clock ?? realClock });
    this.log = opts.logger ?? createLogger(opts.name);
    this.unwatchQueue = watchQueue(this.name, this.queue);
  }

  private readonly unwatchQueue: () => void;

  /** Marks a key for reconciliation (handlers call this; nothing else). */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Informer handlers that enqueue the key of every object added, updated or deleted (the common case). */
  enqueueHandlers<T extends KubeObject>(keyOf: (obj: T) => string = metaNamespaceKey): EventHandler<T> {
    return {
      onAdd: (obj) => this.enqueue(keyOf(obj)),
      onUpdate: (_old, obj) => this.enqueue(keyOf(obj)),
      onDelete: (obj) => this.enqueue(keyOf(obj)),
    };
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /** Requeues a key with its per-key backoff: for work that failed after its reconcile returned. */
  enqueueRateLimited(key: string): void {
    this.queue.addRateLimited(key);
  }

  /** Starts the workers. The caller starts them only once the caches it reads have synced. */
  start(): void {
    if (this.running) return;
    const loops: Promise<void>[] = [];
    for (let i = 0; i < this.workers; i++) loops.push(this.worker());
    this.running = Promise.all(loops).then(() => undefined);
    this.log.info({ workers: this.workers }, 'controller started');
  }

  /** Stops taking keys (queued and delayed ones are dropped) and waits for the runs in progress to finish. */
  async stop(): Promise<void> {
    await this.queue.shutDownWithDrain();
    await this.running;
    this.unwatchQueue();
    this.notifyIfIdle();
  }

  /**
   * Resolves once no key is queued or being reconciled (keys waiting out a delay do not count): the
   * effects of everything enqueued so far have been applied. For tests and tools; a controller that
   * was never started is idle only when nothing was enqueued.
   */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      this.noteSliceStart();
      await this.processOne(key);
      if (performance.now() - this.sliceStartedAt >= WORK_SLICE_MS) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Starts timing a run of keys unless one is under way; the run ends when the event loop next gets a turn. */
  private noteSliceStart(): void {
    if (this.inSlice) return;
    this.inSlice = true;
    this.sliceStartedAt = performance.now();
    setImmediate(() => (this.inSlice = false));
  }

  /** One run of one key; never throws (a worker loop must not die). */
  private async processOne(key: string): Promise<void> {
    this.stats.reconciles++;
    const started = performance.now();
    try {
      const res = await this.reconcileFn(key);
      this.queue.forget(key);
      if (res && res.requeueAfterMs !== undefined) this.queue.addAfter(key, Math.max(1, res.requeueAfterMs));
    } catch (err) {
      this.stats.errors++;
      if (err instanceof TerminalError) {
        this.queue.forget(key);
        this.log.error({ err, key }, 'reconcile failed permanently');
      } else {
        const retries = this.queue.numRequeues(key);
        // The first few failures are routine (a lost CAS race); say more once a key keeps failing.
        if (retries >= 3) this.log.warn({ err, key, retries }, 'reconcile failed; retrying with backoff');
        else this.log.debug({ err, key, retries }, 'reconcile failed; retrying');
        this.queue.addRateLimited(key);
      }
    } finally {
      observeReconcile(this.name, (performance.now() - started) / 1000);
      this.queue.done(key);
      this.notifyIfIdle();
    }
  }

  private isIdle(): boolean {
    const { depth, processing } = this.queue.stats();
    return depth === 0 && processing === 0;
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
