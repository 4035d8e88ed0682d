// The API server's watch cache (Kubernetes' cacher is the model; docs/watch-cache.md): a Storage that
// keeps every object under a root (`/registry/`) in memory, fed by ONE watch of the backend over all
// of '/' (keys elsewhere only move its revision on), with a bounded window of recent changes. Writes and gets go straight to the backend; lists
// and watches are served from memory:
// - a watch from a revision inside the window replays the window, then follows live changes; from an
//   older revision it fails with ExpiredError (410), as a watch from a compacted revision does;
// - a list with `minRevision` (resourceVersion=0 / NotOlderThan) is answered once the cache is at
//   least there; a consistent list (neither) first asks the backend for its current revision (a
//   count-only range: no keys move) and waits until the cache has applied every change up to it.
//   That is sound because the one watch covers every key the project writes (all start with '/'):
//   each revision of the backend is a change the cache will see. If the cache stops moving before it
//   gets there (or takes too long), the list is read from the backend instead. Lists at an exact revision or continued from a token go to the backend.
// The feed re-watches from its revision when the backend's stream breaks (an etcd restart) and
// re-lists when its revision was compacted meanwhile; a re-list ends every watcher with ExpiredError.
// Prefixes named `uncached` (the API server's: Events, as Kubernetes leaves them out of its watch
// cache) are inside the root but never kept: their changes only move the revision on, and their lists
// and watches go to the backend. At 150,000 pods there were ~2.5 Events a pod, which would otherwise
// be most of the cache's memory, of every re-list's work and of its sorted inserts.
import { BadRequestError, ExpiredError, realClock, UnavailableError, type Clock } from '@coxswain/objects';
import { keyIdentity, prefixRangeEnd } from './key-range';
import type {
  StorageDbStatus,
  GuaranteedUpdateOptions,
  GuardedWrite,
  KubeObject,
  LazyItem,
  Leases,
  ListPage,
  ListPagesOptions,
  ListResult,
  Storage,
  StorageCreateOptions,
  StorageDeleteOptions,
  StorageListOptions,
  StorageWatchOptions,
  Watch,
  WatchEvent,
} from '@coxswain/objects';
import { createLogger, processMetrics, type Logger } from '@coxswain/process';
import { Counter } from 'prom-client';
import { bucketOf, CacheState, type CachedEntry } from './cache-state';
import { CacheWatcher } from './cache-watcher';

export interface WatchCacheOptions {
  /** Keys cached (default `/registry/`); lists and watches outside it go to the backend. */
  root?: string;
  /** Prefixes inside the root that are not cached (default none): served by the backend, as keys outside the root are. */
  uncached?: readonly string[];
  /** Changes kept for watches resuming from the past (default 20,000). */
  windowSize?: number;
  /** Undelivered events a watcher may have before it is cut off (default 10,000). */
  watcherQueueLimit?: number;
  /**
   * How long a consistent list waits for a cache that applies nothing before it reads the backend
   * instead (default 3 s). A cache that is behind but moving is waited for up to maxCatchUpMs.
   */
  catchUpTimeoutMs?: number;
  /** The longest a consistent list waits for a cache that is behind but moving (default 15 s). */
  maxCatchUpMs?: number;
  /** Times the catch-up waits (default the real clock). */
  clock?: Clock;
  /** How often watchers with nothing pending are told the cache's revision (bookmarks; default 5 s). */
  progressIntervalMs?: number;
  logger?: Logger;
}

const LIST_PAGE_SIZE = 500;
/** The most entries a list's filter scans before it lets the event loop in (~2 ms at 150,000 pods). */
const SCAN_SLICE = 4096;

/** Kubernetes' apiserver_watch_cache_consistent_read_total: whether the cache got there in time. */
const consistentReads = new Counter({
  name: 'watch_cache_consistent_reads_total',
  help: 'Consistent lists of cached keys, by who answered: the cache once it caught up, or etcd after it did not.',
  labelNames: ['served'] as const,
  registers: [processMetrics],
});

export class CachedStorage implements Storage {
  private readonly state: CacheState;
  private readonly root: string;
  private readonly uncached: readonly string[];
  private readonly watchers = new Set<CacheWatcher>();
  private readonly log: Logger;
  private readonly opts: Required<Omit<WatchCacheOptions, 'logger' | 'root' | 'uncached' | 'clock'>>;
  private readonly clock: Clock;
  private synced = false;
  private closed = false;
  private feed?: Watch;
  private waiters: { revision: bigint; resolve: () => void }[] = [];
  /** Changes of the newest revision received, not applied until that revision is complete. */
  private pending: { key: string; revision: bigint; next?: KubeObject }[] = [];
  private flushScheduled = false;
  private retryTimer?: NodeJS.Timeout;
  private readonly progressTimer: NodeJS.Timeout;
  /** Resolves when the cache has first listed its root (or is closed). */
  readonly ready: Promise<void>;
  private markReady!: () => void;
  /** Re-lists since start (the first list included): a figure for tests and metrics. */
  relists = 0;

  constructor(
    private readonly backend: Storage,
    opts: WatchCacheOptions = {},
  ) {
    this.root = opts.root ?? '/registry/';
    this.uncached = opts.uncached ?? [];
    this.opts = {
      windowSize: opts.windowSize ?? 20_000,
      watcherQueueLimit: opts.watcherQueueLimit ?? 10_000,
      catchUpTimeoutMs: opts.catchUpTimeoutMs ?? 3_000,
      maxCatchUpMs: opts.maxCatchUpMs ?? 15_000,
      progressIntervalMs: opts.progressIntervalMs ?? 5_000,
    };
    this.log = opts.logger ?? createLogger('watch-cache');
    this.clock = opts.clock ?? realClock;
    this.state = new CacheState(this.opts.windowSize);
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.progressTimer = setInterval(() => {
      if (this.synced) for (const w of this.watchers) w.progress(this.state.revision);
    }, this.opts.progressIntervalMs);
    this.progressTimer.unref();
    void this.run(true);
  }

  /** The revision the cache is at (every change at or below it applied). */
  get revision(): string {
    return this.state.revision.toString();
  }

  // ---- the feed: list once, then follow one watch of the root --------------------------------------

  private async run(relist: boolean): Promise<void> {
    let delayMs = 100;
    while (!this.closed) {
      try {
        if (relist) await this.relist();
        relist = false;
        delayMs = 100;
        await this.follow();
      } catch (err) {
        if (this.closed) return;
        if (err instanceof ExpiredError) {
          relist = true; // the backend compacted past our revision: start again from a list
          this.log.warn({ revision: this.revision }, 'watch cache behind a compaction; re-listing');
        } else {
          this.log.warn({ err: (err as Error).message }, 'watch cache feed broken; resuming');
        }
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.retryTimer = setTimeout(resolve, delayMs)));
      delayMs = Math.min(delayMs * 2, 2_000);
    }
  }

  private async relist(): Promise<void> {
    this.synced = false;
    const started = Date.now();
    const entries: CachedEntry[] = [];
    let revision: string | undefined;
    // One resource (bucket) at a time, each read as its own prefix: etcd 3.4 walks a range to its end
    // on every page to count it, so the paged read of the whole root is quadratic (550,000 keys: 63 s
    // against 6.5 s for the 150,000 pods alone), and an uncached resource is skipped without a read.
    let after: string | undefined;
    for (;;) {
      const next = await this.firstKeyAfter(after, revision);
      revision ??= next.revision;
      if (next.key === undefined) break;
      const bucket = bucketOf(next.key);
      if (bucket === undefined) {
        after = next.key; // a key directly under the root: in no resource, never cached
        continue;
      }
      if (this.cached(bucket)) {
        for await (const page of this.backend.listPages<KubeObject>(bucket, { revision })) {
          for (const item of page.items) {
            const key = keyOfItem(item);
            if (this.cached(key)) entries.push({ key, object: item.object() });
          }
        }
      }
      // Past every key of the bucket: its range end, less the one key equal to it (which no bucket holds).
      after = prefixRangeEnd(bucket).toString('utf8');
    }
    this.state.reset(entries, BigInt(revision ?? (await this.backend.currentRevision())));
    this.relists++;
    this.log.info({ objects: entries.length, revision: this.revision, ms: Date.now() - started }, 'watch cache listed');
    // Watchers were following the old state; they must list again (as after a compaction).
    for (const w of [...this.watchers]) w.fail(new ExpiredError(this.revision));
    this.synced = true;
    this.markReady();
    this.wakeWaiters();
  }

  /** The first key under the root after `after` (from its start without), if any, and the revision it was read at. */
  private async firstKeyAfter(after: string | undefined, revision: string | undefined): Promise<{ key?: string; revision?: string }> {
    const pages = this.backend.listPages<KubeObject>(this.root, { revision, startAfter: after, pageSize: 1 });
    try {
      for await (const page of pages) {
        const item = page.items[0];
        return { key: item && keyOfItem(item), revision: page.resourceVersion };
      }
      return {};
    } finally {
      await pages.return(undefined);
    }
  }

  private async follow(): Promise<void> {
    // The feed covers every key of the project ('/'), not only the root: a write elsewhere (a leader
    // election's key) takes a revision too, and a consistent list waits for the cache to pass it.
    // The cache has every object's last state itself: a delete needs only its key.
    const feed = this.backend.watch<KubeObject>('/', { afterRevision: this.revision, knowsLastState: true });
    this.feed = feed;
    // The changes of one revision (one transaction) are applied together, once the revision is
    // complete: when a newer one arrives, or when the feed has nothing more queued (etcd sends a
    // revision's events in one response, handed out before the next macrotask). So lists and
    // watchers never see half a transaction, and a list "at R" holds exactly the state at R.
    const flushLater = () => {
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    };
    try {
      for await (const ev of feed) {
        const revision = BigInt(ev.revision);
        if (this.pending.length > 0 && this.pending[0]!.revision !== revision) this.flush();
        this.pending.push({ key: keyOfItem(ev), revision, next: ev.type === 'DELETED' ? undefined : ev.object });
        flushLater();
      }
    } finally {
      this.flush();
      feed.close();
      if (this.feed === feed) this.feed = undefined;
    }
    if (!this.closed) throw new UnavailableError('the watch cache feed ended');
  }

  private flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    for (const { key, revision, next } of batch) {
      if (!this.cached(key)) {
        this.state.advance(revision);
        continue;
      }
      const change = this.state.apply(key, revision, next);
      for (const w of this.watchers) if (!w.offer(change)) this.watchers.delete(w);
    }
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    if (!this.synced || this.waiters.length === 0) return;
    const at = this.state.revision;
    const due = this.waiters.filter((w) => w.revision <= at);
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.revision > at);
    for (const w of due) w.resolve();
  }

  /**
   * True once the cache has applied every change up to `revision`. False when it stops getting there:
   * nothing applied for catchUpTimeoutMs (its feed is stuck or re-listing), or maxCatchUpMs in all.
   * A cache that is behind but moving is waited for, because the way around it costs more: on a busy
   * etcd the cache's events come seconds late, and a LIST of 150,000 pods read from etcd instead took
   * ~25 s of etcd's CPU, which made the next catch-up later still (docs/benchmarks.md, k8s-limits).
   */
  private async caughtUp(revision: bigint): Promise<boolean> {
    if (this.synced && this.state.revision >= revision) return true;
    const wake = new AbortController();
    const waiter = { revision, resolve: () => wake.abort() };
    this.waiters.push(waiter);
    const started = this.clock.now();
    let seen = this.state.revision;
    for (;;) {
      await this.clock.sleep(this.opts.catchUpTimeoutMs, wake.signal);
      if (wake.signal.aborted) return true;
      const moved = this.state.revision > seen;
      seen = this.state.revision;
      if (!moved || this.clock.now() - started >= this.opts.maxCatchUpMs) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        return false;
      }
    }
  }

  /** Whether the cache keeps the keys under `keyOrPrefix` (a prefix is one resource's, or a namespace of it). */
  private cached(keyOrPrefix: string): boolean {
    return keyOrPrefix.startsWith(this.root) && !this.uncached.some((u) => keyOrPrefix.startsWith(u));
  }

  /** Whether a list can be answered from memory: within the root, and the cache fresh enough. */
  private async servable(prefix: string, opts: ListPagesOptions): Promise<boolean> {
    // Served from memory: a prefix inside one resource's keys (`/registry/pods/`, `/registry/pods/ns/`).
    if (this.closed || !this.cached(prefix) || bucketOf(prefix) === undefined) return false;
    if (opts.revision !== undefined || opts.startAfter !== undefined) return false;
    const wanted = opts.minRevision !== undefined ? BigInt(opts.minRevision) : BigInt(await this.backend.currentRevision());
    const fromCache = await this.caughtUp(wanted);
    if (opts.minRevision === undefined) consistentReads.inc({ served: fromCache ? 'cache' : 'etcd' });
    return fromCache;
  }

  // ---- reads served from memory ----------------------------------------------------------------------

  async *listPages<T extends KubeObject>(prefix: string, opts: ListPagesOptions = {}): AsyncGenerator<ListPage<T>> {
    if (!(await this.servable(prefix, opts))) {
      yield* this.backend.listPages<T>(prefix, opts);
      return;
    }
    // A snapshot taken in one go (the entries are immutable): later changes do not leak into the pages
    // still to come. Filtering and the items are made a page at a time, as the pages are asked for:
    // for 20,000 pods in one go that held the event loop for tens of ms before the first byte went out.
    const resourceVersion = this.revision;
    const entries = this.state.entriesUnder(prefix);
    const size = opts.pageSize ?? LIST_PAGE_SIZE;
    let yielded = false;
    // A page of a selective list may take a scan of the whole resource to fill (50 pods matched of
    // 150,000: ~50 ms): the scan lets the event loop in every SCAN_SLICE entries, so watch events
    // and other requests are served in between (a page handed on does not: its consumer may not
    // reach the event loop before it asks for the next).
    let pauseAt = SCAN_SLICE;
    for (let i = 0; i < entries.length; ) {
      const items: LazyItem<T>[] = [];
      for (const sliceEnd = Math.min(entries.length, pauseAt); i < sliceEnd && items.length < size; i++) {
        const e = entries[i]!;
        if (!opts.filter || opts.filter.matches(e.object)) items.push(lazyItem<T>(e));
      }
      if (items.length > 0 || (i >= entries.length && !yielded)) {
        yielded = true;
        yield { items, resourceVersion };
      }
      if (i >= pauseAt && i < entries.length) {
        pauseAt = i + SCAN_SLICE;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (!yielded) yield { items: [], resourceVersion };
  }

  async list<T extends KubeObject>(prefix: string, opts: StorageListOptions = {}): Promise<ListResult<T>> {
    const items: T[] = [];
    let resourceVersion = '';
    for await (const page of this.listPages<T>(prefix, opts)) {
      for (const item of page.items) items.push(item.object());
      resourceVersion = page.resourceVersion;
    }
    return { items, resourceVersion: resourceVersion || (await this.backend.currentRevision()) };
  }

  watch<T extends KubeObject>(prefix: string, opts: StorageWatchOptions = {}): Watch<T> {
    if (this.closed || !this.cached(prefix)) return this.backend.watch<T>(prefix, opts);
    const after = opts.afterRevision;
    if (after !== undefined && !/^[0-9]+$/.test(after)) throw new BadRequestError(`invalid resourceVersion "${after}"`);
    const pending = new PendingWatch<T>();
    void this.startWatcher<T>(prefix, opts).then(
      (watcher) => pending.attach(watcher),
      (err: Error) => pending.attach(undefined, err),
    );
    return pending;
  }

  /** The watcher, or undefined when the cache closed first (the watch then just ends). */
  private async startWatcher<T extends KubeObject>(prefix: string, opts: StorageWatchOptions): Promise<CacheWatcher<T> | undefined> {
    const from = opts.afterRevision !== undefined && opts.afterRevision !== '0' ? BigInt(opts.afterRevision) : undefined;
    await this.ready;
    // A past revision must not be served from memory once the backend has compacted it: the answer
    // would differ from a watch on the backend (410). One read of an empty range at that revision tells.
    if (from !== undefined && !this.closed) await this.checkNotCompacted(from);
    if (this.closed) return undefined;
    const after = from ?? this.state.revision;
    if (after < this.state.windowStart) throw new ExpiredError(after.toString(), this.state.windowStart.toString());
    const watcher = new CacheWatcher<T>({
      prefix,
      after,
      filter: opts.filter,
      onProgress: opts.onProgress,
      queueLimit: this.opts.watcherQueueLimit,
      onEnd: (w) => this.watchers.delete(w),
    });
    for (const change of this.state.changesAfter(after)) if (!watcher.offer(change)) break;
    this.watchers.add(watcher);
    return watcher;
  }

  private async checkNotCompacted(after: bigint): Promise<void> {
    // Read at `after` itself (never past the cache's revision, so never a future one etcd refuses):
    // one revision stricter than etcd's watch, which starts at after + 1.
    const at = after < this.state.revision ? after : this.state.revision;
    // An empty range (no key holds a NUL): etcd checks the revision first, and walks no index.
    const pages = this.backend.listPages(`${this.root}\0`, { revision: at.toString(), pageSize: 1 });
    try {
      await pages.next();
    } catch (err) {
      if (err instanceof ExpiredError) throw new ExpiredError(after.toString(), err.compactRevision);
      throw err;
    } finally {
      await pages.return(undefined);
    }
  }

  /** Watchers being served now (a gauge for tests and metrics). */
  get watcherCount(): number {
    return this.watchers.size;
  }

  // ---- everything else goes to the backend -----------------------------------------------------------

  create<T extends KubeObject>(key: string, obj: T, opts?: StorageCreateOptions): Promise<T> {
    return this.backend.create(key, obj, opts);
  }
  createMany<T extends KubeObject>(entries: readonly { key: string; obj: T }[], opts?: StorageCreateOptions): Promise<(T | Error)[]> {
    return this.backend.createMany(entries, opts);
  }
  get<T extends KubeObject>(key: string): Promise<T> {
    return this.backend.get<T>(key);
  }
  guaranteedUpdate<T extends KubeObject>(key: string, tryUpdate: (current: T) => T | Promise<T>, opts: GuaranteedUpdateOptions<T> = {}): Promise<T> {
    return this.backend.guaranteedUpdate(key, tryUpdate, this.withCopy(key, opts));
  }
  updateMany<T extends KubeObject>(writes: readonly GuardedWrite<T>[]): Promise<(T | Error)[]> {
    return this.backend.updateMany(writes);
  }
  delete<T extends KubeObject>(key: string, opts: StorageDeleteOptions<T> = {}): Promise<T> {
    const copy = opts.hint ?? this.copyOf<T>(key);
    return this.backend.delete<T>(key, copy ? { ...opts, hint: copy } : opts);
  }

  /**
   * Writes start from the cache's copy instead of a read of the backend (Kubernetes' cacher hands its
   * object to GuaranteedUpdate the same way): a hint the backend checks by its revision, so a copy
   * behind the backend costs one failed txn and then the read it saved.
   */
  private withCopy<T extends KubeObject>(key: string, opts: GuaranteedUpdateOptions<T>): GuaranteedUpdateOptions<T> {
    if (opts.cached || opts.hint) return opts;
    const copy = this.copyOf<T>(key);
    return copy ? { ...opts, hint: copy } : opts;
  }

  private copyOf<T extends KubeObject>(key: string): T | undefined {
    if (!this.synced || !this.cached(key)) return undefined;
    return this.state.get(key)?.object as T | undefined;
  }
  currentRevision(): Promise<string> {
    return this.backend.currentRevision();
  }
  async dbStatus(): Promise<StorageDbStatus> {
    if (!this.backend.dbStatus) throw new BadRequestError('this storage has no database status');
    return this.backend.dbStatus();
  }
  async compact(revision: string): Promise<void> {
    if (!this.backend.compact) throw new BadRequestError('this storage cannot compact');
    await this.backend.compact(revision);
  }
  get leases(): Leases {
    return this.backend.leases;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.progressTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.feed?.close();
    for (const w of [...this.watchers]) w.close();
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
    this.markReady();
    await this.backend.close();
  }
}

/** A watch handed out before the cache is ready: it becomes the real watcher (or its error) then. */
class PendingWatch<T extends KubeObject> implements Watch<T> {
  closed = false;
  private inner?: CacheWatcher<T>;
  private error?: Error;
  private settled!: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.settled = resolve));

  /** The watcher it becomes; neither a watcher nor an error: the watch ends (the cache closed). */
  attach(inner: CacheWatcher<T> | undefined, error?: Error): void {
    if (this.closed) {
      inner?.close();
      return;
    }
    this.inner = inner;
    this.error = error;
    this.settled();
  }

  close(): void {
    this.closed = true;
    this.inner?.close();
    this.settled();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    await this.ready;
    if (this.closed) return;
    if (this.error) throw this.error;
    if (this.inner) yield* this.inner;
  }
}

/**
 * A listed entry of the cache: one small object per item, its namespace and name read from the key
 * only when asked. A LIST of 150,000 pods made its items with the key split up front (an array, five
 * strings, two objects and a closure each: ~75 MB of garbage a LIST, five of its eight scavenges),
 * where a LIST served whole from the cache never asks (the encoding goes by the shared object).
 */
class CachedItem<T extends KubeObject> implements LazyItem<T> {
  constructor(
    readonly key: string,
    readonly shared: T,
  ) {}

  get namespace(): string | undefined {
    return keyIdentity(this.key).namespace;
  }

  get name(): string {
    return keyIdentity(this.key).name;
  }

  get resourceVersion(): string {
    return this.shared.metadata.resourceVersion!;
  }

  object(): T {
    return this.shared;
  }
}

function lazyItem<T extends KubeObject>(e: CachedEntry): LazyItem<T> {
  return new CachedItem(e.key, e.object as T);
}

function keyOfItem(item: { key?: string }): string {
  if (item.key === undefined) throw new Error('the watch cache needs a backend that names keys (LazyItem.key, WatchEvent.key)');
  return item.key;
}
