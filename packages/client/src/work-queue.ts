// The work queue between informers and reconcilers (client-go's workqueue: queue + dirty + processing).
//  - `dirty` holds keys that need a run; a key already dirty is not queued twice, so a burst of
//    events for one key becomes one run.
//  - `processing` holds keys a worker has taken; a key re-added while processing waits in `dirty`
//    and is queued again on done(), so no key is ever on two workers at once, and no change is lost.
//  - Delayed adds (addAfter, addRateLimited) wait in a min-heap driven by an injected clock.
import { Clock, realClock } from '@coxswain/objects';
import { RateLimiter, defaultControllerRateLimiter } from './rate-limiter';

export interface WorkQueueOptions<K> {
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
}

export interface WorkQueueStats {
  /** Keys waiting to be taken. */
  depth: number;
  /** Keys waiting for an addAfter/addRateLimited delay. */
  delayed: number;
  /** Keys a worker holds. */
  processing: number;
  /** Adds that queued a key (adds of a key already dirty are not counted). */
  adds: number;
  /** addRateLimited calls (retries after failures). */
  retries: number;
}

interface Delayed<K> {
  key: K;
  readyAt: number;
  seq: number;
}

export class WorkQueue<K = string> {
  private queue: K[] = [];
  private head = 0;
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private waiters: Array<(key: K | undefined) => void> = [];
  private shuttingDown = false;
  private drainWaiters: Array<() => void> = [];

  // Delayed keys: a heap ordered by readyAt, and for each key its earliest readyAt. A heap entry
  // whose readyAt no longer matches the map is stale (the key was moved earlier) and is skipped.
  private heap: Delayed<K>[] = [];
  private readonly readyAtByKey = new Map<K, number>();
  private seq = 0;
  private timer?: { at: number; abort: AbortController };

  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter<K>;
  private adds = 0;
  private retries = 0;

  constructor(opts: WorkQueueOptions<K> = {}) {
    this.clock = opts.clock ?? realClock;
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter<K>(this.clock);
  }

  /** Marks the key as needing a run. Ignored after shutDown(). */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.adds++;
    if (this.processing.has(key)) return; // queued again by done()
    this.enqueue(key);
  }

  /**
   * Takes the next key, waiting for one if the queue is empty. The caller must call done(key) when
   * finished. Resolves undefined once the queue is shut down: the worker should exit.
   */
  get(): Promise<K | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    if (this.head < this.queue.length) return Promise.resolve(this.take());
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The worker finished the key; if it was re-added meanwhile, it is queued again now. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.enqueue(key);
    if (this.processing.size === 0) this.notifyDrained();
  }

  /** Adds the key after `ms` (an earlier pending addAfter of the same key wins). */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const readyAt = this.clock.now() + ms;
    const existing = this.readyAtByKey.get(key);
    if (existing !== undefined && existing <= readyAt) return;
    this.readyAtByKey.set(key, readyAt);
    this.heapPush({ key, readyAt, seq: this.seq++ });
    this.armTimer();
  }

  /** Adds the key after the rate limiter's delay for it (a retry after a failure). */
  addRateLimited(key: K): void {
    if (this.shuttingDown) return;
    this.retries++;
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** The key succeeded: reset its retry backoff. (Does not remove it from the queue.) */
  forget(key: K): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.rateLimiter.numRequeues(key);
  }

  /** Keys waiting to be taken (not counting those being processed or delayed). */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys waiting for an addAfter delay. */
  delayedLen(): number {
    return this.readyAtByKey.size;
  }

  /** Counters for /metrics. */
  stats(): WorkQueueStats {
    return { depth: this.len(), delayed: this.delayedLen(), processing: this.processing.size, adds: this.adds, retries: this.retries };
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Stops the queue: every pending and future get() resolves undefined, queued and delayed keys are
   * dropped (reconcilers are level-based: the next run lists again), in-flight keys may finish.
   */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.timer?.abort.abort();
    this.timer = undefined;
    this.heap = [];
    this.readyAtByKey.clear();
    this.queue = [];
    this.head = 0;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(undefined);
    if (this.processing.size === 0) this.notifyDrained();
  }

  /** Shuts down and resolves once every in-flight key has been marked done(). */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  // ---- internals -----------------------------------------------------------------------------------

  private enqueue(key: K): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      // Hand the key straight to a waiting worker.
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
  }

  private take(): K {
    const key = this.queue[this.head++];
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private notifyDrained(): void {
    if (!this.shuttingDown) return;
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of ws) w();
  }

  private armTimer(): void {
    this.dropStale();
    const next = this.heap[0];
    if (!next) return;
    if (this.timer && this.timer.at <= next.readyAt) return; // already waking in time
    this.timer?.abort.abort();
    const abort = new AbortController();
    const timer = { at: next.readyAt, abort };
    this.timer = timer;
    this.clock
      .sleep(Math.max(0, next.readyAt - this.clock.now()), abort.signal)
      .then(() => {
        if (abort.signal.aborted) return;
        this.timer = undefined;
        this.releaseReady();
        this.armTimer();
      })
      .catch(() => {
        // A clock that rejects is a bug in the clock; try again rather than strand delayed keys.
        if (this.timer === timer) this.timer = undefined;
        this.armTimer();
      });
  }

  private releaseReady(): void {
    const now = this.clock.now();
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.readyAt > now) return;
      this.heapPop();
      this.readyAtByKey.delete(top.key);
      this.add(top.key);
    }
  }

  private dropStale(): void {
    while (this.heap.length > 0) {
      const top = this.heap[0];
      if (this.readyAtByKey.get(top.key) === top.readyAt) return;
      this.heapPop();
    }
  }

  private less(a: Delayed<K>, b: Delayed<K>): boolean {
    return a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.seq < b.seq);
  }

  private heapPush(item: Delayed<K>): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private heapPop(): Delayed<K> | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
