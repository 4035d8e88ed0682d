// Storage in memory, with the contract etcd keeps (one contract suite proves both alike:
// testing/storage-contract.ts): a global revision, atomic conditional writes, mirrors in the same
// write, paged lists at one revision, watches replayed from a window of recent changes, leases
// that expire by an injected clock. For unit tests and hollow benchmarks; the cluster runs on etcd.
import {
  AlreadyExistsError,
  BadRequestError,
  decodeObject,
  encodeObject,
  ExpiredError,
  NotFoundError,
  realClock,
  staleVersionError,
  UnavailableError,
  type Clock,
  type GuardedWrite,
  type GuaranteedUpdateOptions,
  type KubeObject,
  type LazyItem,
  type Leases,
  type ListPage,
  type ListResult,
  type Mirror,
  type ObjectFilter,
  type ListPagesOptions,
  type Preconditions,
  type Storage,
  type StorageCreateOptions,
  type StorageListOptions,
  type StorageWatchOptions,
  type Watch,
  type WatchEvent,
} from '@coxswain/objects';
import { keyIdentity, lowerBound } from './key-range';
import { mirrorWrites } from './mirrors';
import { checkLeasable, checkPreconditions, keyLabel, sameStored, stored } from './storage-rules';

export interface MemoryStorageOptions {
  /** Drives lease expiry. Default the real clock. */
  clock?: Clock;
  mirrors?: readonly Mirror[];
  /** How many recent changes a watch can replay from; older revisions are ExpiredError. Default 10,000. */
  historyWindow?: number;
  /** Pages of a paged list (LazyItems per page) when the caller gives no pageSize. Default 500. */
  pageSize?: number;
}

interface Entry {
  value: Buffer;
  createRevision: number;
  modRevision: number;
  lease?: string;
}

/** One key's change at a revision, as a watch replays it. */
interface Change {
  revision: number;
  key: string;
  /** Undefined for a delete. */
  value?: Buffer;
  /** The value before, if the key existed. */
  prev?: Buffer;
  created: boolean;
}

/** One write of a transaction: put `value` (keeping the key's lease unless `lease` is given) or delete. */
interface Op {
  key: string;
  value?: Buffer;
  lease?: string;
}

interface LeaseState {
  ttlMs: number;
  grantedSeconds: number;
  expiresAt: number;
  keys: Set<string>;
}

export class MemoryStorage implements Storage {
  readonly leases: Leases;
  private readonly clock: Clock;
  private readonly mirrors: readonly Mirror[];
  private readonly historyWindow: number;
  private readonly pageSize: number;
  private readonly entries = new Map<string, Entry>();
  /** Every key in order, kept until the next write: paged lists of a big store (a continued list, a bench's) do not sort it each time. */
  private sortedKeys?: string[];
  private readonly history: Change[] = [];
  private readonly watches = new Set<MemoryWatch<any>>();
  private readonly leaseStates = new Map<string, LeaseState>();
  private revision = 1;
  /** Revisions at or below this are gone from the history (compacted or out of the window). */
  private compacted = 0;
  private nextLeaseId = 1;
  private closed = false;
  private expiryTimer?: AbortController;

  constructor(opts: MemoryStorageOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.mirrors = opts.mirrors ?? [];
    this.historyWindow = opts.historyWindow ?? 10_000;
    this.pageSize = opts.pageSize ?? 500;
    this.leases = {
      grant: async (ttlSeconds) => this.grant(ttlSeconds),
      keepAlive: async (id) => this.keepAlive(id),
      revoke: async (id) => this.revoke(id),
      timeToLive: async (id) => this.timeToLive(id),
    };
  }

  // ---- create / read -------------------------------------------------------------------------------

  async create<T extends KubeObject>(key: string, obj: T, opts: StorageCreateOptions = {}): Promise<T> {
    this.check();
    if (this.entries.has(key)) throw new AlreadyExistsError(...keyLabel(key));
    const lease = this.leaseFor(key, opts);
    const revision = this.commit([{ key, value: encodeObject(obj), lease }, ...this.mirrorOps(key, undefined, obj)]);
    return stored(obj, revision);
  }

  async createMany<T extends KubeObject>(entries: readonly { key: string; obj: T }[], opts: StorageCreateOptions = {}): Promise<(T | Error)[]> {
    this.check();
    const keys = new Set<string>();
    const together = entries.every(({ key }) => !this.entries.has(key) && !keys.has(key) && keys.add(key));
    if (!together || entries.length < 2) {
      // A key taken or given twice: each alone, so each gets its exact answer.
      const out: (T | Error)[] = [];
      for (const { key, obj } of entries) out.push(await this.create(key, obj, opts).catch((err: Error) => err));
      return out;
    }
    let lease: string | undefined;
    try {
      // Every key may be leased (none is mirrored), then one lease for all.
      for (const { key } of entries.slice(1)) checkLeasable(this.mirrors, key, opts);
      lease = this.leaseFor(entries[0].key, opts);
    } catch (err) {
      return entries.map(() => err as Error);
    }
    const revision = this.commit(entries.flatMap(({ key, obj }) => [{ key, value: encodeObject(obj), lease }, ...this.mirrorOps(key, undefined, obj)]));
    return entries.map(({ obj }) => stored(obj, revision));
  }

  async get<T extends KubeObject>(key: string): Promise<T> {
    this.check();
    const e = this.entries.get(key);
    if (!e) throw new NotFoundError(...keyLabel(key));
    return decodeObject<T>(e.value, String(e.modRevision));
  }

  async list<T extends KubeObject>(prefix: string, opts: StorageListOptions = {}): Promise<ListResult<T>> {
    const items: T[] = [];
    let resourceVersion = String(this.revision);
    for await (const page of this.listPages<T>(prefix, opts)) {
      for (const item of page.items) items.push(item.object());
      resourceVersion = page.resourceVersion;
    }
    return { items, resourceVersion };
  }

  /**
   * A snapshot taken at the call (values are immutable buffers), handed out in pages. As etcd's,
   * except that a continued list (`revision`) reads the current state: no old versions are kept
   * (a compacted revision is still ExpiredError, as etcd's).
   */
  async *listPages<T extends KubeObject>(prefix: string, opts: ListPagesOptions = {}): AsyncGenerator<ListPage<T>> {
    this.check();
    if (opts.revision !== undefined && Number(opts.revision) < this.compacted) throw new ExpiredError(opts.revision, String(this.compacted));
    const at = String(this.revision);
    const keys = (this.sortedKeys ??= [...this.entries.keys()].sort());
    const from = opts.startAfter !== undefined && opts.startAfter >= prefix ? opts.startAfter + '\u0000' : prefix;
    const snapshot: [string, Entry][] = [];
    for (let k = lowerBound(keys, from); k < keys.length && keys[k]!.startsWith(prefix); k++) snapshot.push([keys[k]!, this.entries.get(keys[k]!)!]);
    const size = opts.pageSize ?? this.pageSize;
    const filter = opts.filter;
    let i = 0;
    do {
      const items: LazyItem<T>[] = [];
      for (const [key, e] of snapshot.slice(i, i + size)) {
        const item = lazyItem<T>(key, e);
        if (filter && ((filter.mayMatchJson && !filter.mayMatchJson(e.value)) || !filter.matches(item.object()))) continue;
        items.push(item);
      }
      i += size;
      yield { items, resourceVersion: at };
    } while (i < snapshot.length);
  }

  async currentRevision(): Promise<string> {
    this.check();
    return String(this.revision);
  }

  // ---- update ----------------------------------------------------------------------------------------

  async guaranteedUpdate<T extends KubeObject>(key: string, tryUpdate: (current: T) => T | Promise<T>, opts: GuaranteedUpdateOptions<T> = {}): Promise<T> {
    const expected = opts.expectedVersion;
    for (;;) {
      this.check();
      const e = this.entries.get(key);
      if (!e) throw new NotFoundError(...keyLabel(key));
      const rv = String(e.modRevision);
      if (expected !== undefined && rv !== expected) throw staleVersionError(...keyLabel(key), expected, rv);
      // As on etcd: a copy at the expected revision stands for the stored object (what a write from a
      // cache compares against), else the stored object itself.
      const usable = opts.cached && expected !== undefined && opts.cached.metadata?.resourceVersion === expected;
      const base: T = usable ? structuredClone(opts.cached!) : decodeObject<T>(e.value, rv);
      const next = await tryUpdate(usable ? structuredClone(opts.cached!) : decodeObject<T>(e.value, rv));
      this.check();
      const now = this.entries.get(key);
      if (!now) throw new NotFoundError(...keyLabel(key));
      if (now.modRevision !== e.modRevision) {
        // Someone wrote while tryUpdate ran: the compare-and-swap fails.
        if (expected !== undefined) throw staleVersionError(...keyLabel(key), expected, String(now.modRevision));
        continue;
      }
      if (sameStored(base, next)) return base;
      const revision = this.commit([{ key, value: encodeObject(next) }, ...this.mirrorOps(key, base, next)]);
      return stored(next, revision);
    }
  }

  async updateMany<T extends KubeObject>(writes: readonly GuardedWrite<T>[]): Promise<(T | Error)[]> {
    this.check();
    const keys = new Set<string>();
    const together =
      writes.length > 1 &&
      writes.every((w) => {
        const e = this.entries.get(w.key);
        return !!e && String(e.modRevision) === w.current.metadata?.resourceVersion && !keys.has(w.key) && keys.add(w.key);
      });
    if (!together) {
      const out: (T | Error)[] = [];
      for (const w of writes) {
        const rv = w.current.metadata?.resourceVersion;
        if (!rv) {
          out.push(new BadRequestError(`updateMany: the object at ${w.key} has no resourceVersion`));
          continue;
        }
        out.push(await this.guaranteedUpdate<T>(w.key, () => w.next, { expectedVersion: rv, cached: w.current }).catch((err: Error) => err));
      }
      return out;
    }
    const revision = this.commit(writes.flatMap((w) => [{ key: w.key, value: encodeObject(w.next) }, ...this.mirrorOps(w.key, w.current, w.next)]));
    return writes.map((w) => stored(w.next, revision));
  }

  // ---- delete ----------------------------------------------------------------------------------------

  async delete<T extends KubeObject>(key: string, opts: { preconditions?: Preconditions } = {}): Promise<T> {
    this.check();
    const e = this.entries.get(key);
    if (!e) throw new NotFoundError(...keyLabel(key));
    const current = decodeObject<T>(e.value, String(e.modRevision));
    checkPreconditions(key, current, String(e.modRevision), opts.preconditions);
    const revision = this.commit([{ key }, ...this.mirrorOps(key, current, undefined)]);
    return stored(current, revision);
  }

  // ---- watch -----------------------------------------------------------------------------------------

  watch<T extends KubeObject>(prefix: string, opts: StorageWatchOptions = {}): Watch<T> {
    this.check();
    const after = opts.afterRevision;
    if (after !== undefined && !/^[0-9]+$/.test(after)) throw new BadRequestError(`invalid resourceVersion "${after}"`);
    const from = after === undefined || after === '0' ? this.revision : Number(after);
    const w = new MemoryWatch<T>(prefix, opts, () => this.revision, (done) => this.watches.delete(done));
    if (from < this.compacted) w.fail(new ExpiredError(String(from), String(this.compacted)));
    else for (const c of this.history) if (c.revision > from) w.offer(c);
    this.watches.add(w);
    return w;
  }

  /** Forgets every change at or below `revision`: a watch from before it fails with ExpiredError (etcd's compaction). */
  compact(revision: string): void {
    const r = Number(revision);
    this.compacted = Math.max(this.compacted, r);
    const keep = this.history.findIndex((c) => c.revision > r);
    this.history.splice(0, keep < 0 ? this.history.length : keep);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.expiryTimer?.abort();
    for (const w of [...this.watches]) w.close();
  }

  // ---- leases ----------------------------------------------------------------------------------------

  private grant(ttlSeconds: number): string {
    this.check();
    const id = String(this.nextLeaseId++);
    this.leaseStates.set(id, { ttlMs: ttlSeconds * 1000, grantedSeconds: ttlSeconds, expiresAt: this.clock.now() + ttlSeconds * 1000, keys: new Set() });
    this.scheduleExpiry();
    return id;
  }

  private keepAlive(id: string): void {
    this.check();
    this.expireLeases();
    const l = this.leaseStates.get(id);
    if (!l) throw new NotFoundError('leases', id);
    l.expiresAt = this.clock.now() + l.ttlMs;
    this.scheduleExpiry();
  }

  private revoke(id: string): void {
    this.check();
    const l = this.leaseStates.get(id);
    if (!l) return;
    this.leaseStates.delete(id);
    if (l.keys.size > 0) this.commit([...l.keys].flatMap((key) => this.deleteWithMirrors(key)));
  }

  private timeToLive(id: string): { grantedSeconds: number; remainingSeconds: number } | undefined {
    this.check();
    this.expireLeases();
    const l = this.leaseStates.get(id);
    if (!l) return undefined;
    return { grantedSeconds: l.grantedSeconds, remainingSeconds: Math.max(0, Math.floor((l.expiresAt - this.clock.now()) / 1000)) };
  }

  /** The lease a create attaches its key to: the caller's, or a new one for its TTL. */
  private leaseFor(key: string, opts: StorageCreateOptions): string | undefined {
    if (!opts.lease && !opts.ttlSeconds) return undefined;
    checkLeasable(this.mirrors, key, opts);
    if (opts.lease) {
      this.expireLeases();
      if (!this.leaseStates.has(opts.lease)) throw new NotFoundError('leases', opts.lease);
      return opts.lease;
    }
    return opts.ttlSeconds ? this.grant(opts.ttlSeconds) : undefined;
  }

  /** Revokes every lease whose time has come. Runs on the clock (scheduleExpiry) and before lease reads. */
  private expireLeases(): void {
    const now = this.clock.now();
    for (const [id, l] of this.leaseStates) if (l.expiresAt <= now) this.revoke(id);
  }

  /** Sleeps on the clock until the next lease expires (a FakeClock's advance wakes it), then expires it. */
  private scheduleExpiry(): void {
    this.expiryTimer?.abort();
    if (this.closed || this.leaseStates.size === 0) return;
    const next = Math.min(...[...this.leaseStates.values()].map((l) => l.expiresAt));
    const timer = new AbortController();
    this.expiryTimer = timer;
    void this.clock.sleep(Math.max(0, next - this.clock.now()), timer.signal).then(() => {
      if (timer.signal.aborted || this.closed) return;
      this.expireLeases();
      this.scheduleExpiry();
    });
  }

  // ---- plumbing ----------------------------------------------------------------------------------------

  private mirrorOps(key: string, before: KubeObject | undefined, after: KubeObject | undefined): Op[] {
    return mirrorWrites(this.mirrors, key, before, after).map((w) => ({ key: w.key, value: w.value && encodeObject(w.value) }));
  }

  private deleteWithMirrors(key: string): Op[] {
    const e = this.entries.get(key);
    if (!e) return [];
    return [{ key }, ...this.mirrorOps(key, decodeObject(e.value, String(e.modRevision)), undefined)];
  }

  /** Applies the ops as one transaction at a new revision and hands its changes to the watches. */
  private commit(ops: Op[]): string {
    const revision = ++this.revision;
    const changes: Change[] = [];
    for (const op of ops) {
      const prev = this.entries.get(op.key);
      if (op.value === undefined) {
        if (!prev) continue;
        this.entries.delete(op.key);
        this.sortedKeys = undefined;
        if (prev.lease) this.leaseStates.get(prev.lease)?.keys.delete(op.key);
        changes.push({ revision, key: op.key, prev: prev.value, created: false });
        continue;
      }
      const lease = op.lease ?? prev?.lease;
      if (prev?.lease && prev.lease !== lease) this.leaseStates.get(prev.lease)?.keys.delete(op.key);
      if (lease) this.leaseStates.get(lease)?.keys.add(op.key);
      if (!prev) this.sortedKeys = undefined;
      this.entries.set(op.key, { value: op.value, createRevision: prev ? prev.createRevision : revision, modRevision: revision, lease });
      changes.push({ revision, key: op.key, value: op.value, prev: prev?.value, created: !prev });
    }
    this.history.push(...changes);
    if (this.history.length > this.historyWindow) {
      const drop = this.history.length - this.historyWindow;
      this.compacted = Math.max(this.compacted, this.history[drop - 1].revision);
      this.history.splice(0, drop);
    }
    for (const w of this.watches) for (const c of changes) w.offer(c);
    return String(revision);
  }

  private check(): void {
    if (this.closed) throw new UnavailableError('the store is closed');
  }
}

/** A watch on a prefix: changes queue as they are committed (a writer never waits for a reader). */
class MemoryWatch<T extends KubeObject> implements Watch<T> {
  private readonly queue: WatchEvent<T>[] = [];
  private wake?: () => void;
  private error?: Error;
  private done = false;

  constructor(
    private readonly prefix: string,
    private readonly opts: StorageWatchOptions,
    private readonly storeRevision: () => number,
    private readonly onEnd: (w: MemoryWatch<T>) => void,
  ) {}

  offer(c: Change): void {
    if (this.done || !c.key.startsWith(this.prefix)) return;
    const ev = toEvent<T>(c, this.opts.filter);
    if (!ev) return;
    this.queue.push(ev);
    this.wake?.();
  }

  fail(err: Error): void {
    this.error = err;
    this.wake?.();
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.onEnd(this);
    this.wake?.();
  }

  /** One iterator over the watch, however often it is asked for (as an etcd watch). */
  [Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    return { next: () => this.next(), return: async () => (this.close(), { done: true, value: undefined }) };
  }

  private async next(): Promise<IteratorResult<WatchEvent<T>>> {
    for (;;) {
      if (this.done) return { done: true, value: undefined };
      const ev = this.queue.shift();
      if (ev) return { done: false, value: ev };
      if (this.error) {
        this.close();
        throw this.error;
      }
      // Everything up to the store's revision has been handed out (or filtered out): a bookmark.
      this.opts.onProgress?.(String(this.storeRevision()));
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/** A change as a watch with `filter` sees it; undefined when the filter hides it. */
function toEvent<T extends KubeObject>(c: Change, filter: ObjectFilter | undefined): WatchEvent<T> | undefined {
  const revision = String(c.revision);
  const prev = c.prev && decodeObject<T>(c.prev, revision);
  if (c.value === undefined) {
    return prev && (!filter || filter.matches(prev)) ? { type: 'DELETED', object: prev, revision, key: c.key } : undefined;
  }
  const cur = decodeObject<T>(c.value, revision);
  if (!filter) return { type: c.created ? 'ADDED' : 'MODIFIED', object: cur, revision, key: c.key };
  const curMatches = filter.matches(cur);
  const prevMatches = !c.created && prev !== undefined && filter.matches(prev);
  if (curMatches) return { type: prevMatches ? 'MODIFIED' : 'ADDED', object: cur, revision, key: c.key };
  return prevMatches ? { type: 'DELETED', object: prev!, revision, key: c.key } : undefined;
}


function lazyItem<T extends KubeObject>(key: string, e: Entry): LazyItem<T> {
  const { namespace, name } = keyIdentity(key);
  let decoded: T | undefined;
  const resourceVersion = String(e.modRevision);
  return { key, namespace, name, resourceVersion, object: () => (decoded ??= decodeObject<T>(e.value, resourceVersion)) };
}


