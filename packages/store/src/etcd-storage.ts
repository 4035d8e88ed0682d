// Storage on etcd. Every write is one etcd transaction guarded by a revision compare:
//   create  = txn(create_revision == 0)           else AlreadyExistsError
//             (createMany: one txn of such compares for many keys, each alone if any is taken)
//   update  = txn(mod_revision == read)           else retry from the value the txn's else-branch
//             read (no extra round trip), or ConflictError when the caller expected a revision
//             (updateMany: one txn of such compares, each alone if any is stale)
//   delete  = txn(mod_revision == read), or one deleteRange when there is nothing to check
// A mirror's keys ride in the same txn as the object's. A write that changes nothing is skipped.
// Knows no kind: keys and rules are the registry's. See docs/store.md.
import type { Etcd3, IKeyValue, IRangeResponse, IRequestOp, ITxnRequest, ITxnResponse } from 'etcd3';
import { CompareResult, CompareTarget } from 'etcd3';
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  staleVersionError,
  UnavailableError,
  type KubeObject,
  type LazyItem,
  type ListPage,
  type ListResult,
  type StorageDbStatus,
  type Watch,
} from '@coxswain/objects';
import { createLogger, type EtcdTLS, type Logger } from '@coxswain/process';
import { createEtcdClient } from './etcd-client';
import { translateError } from './etcd-errors';
import { EtcdLeases } from './etcd-leases';
import { EtcdWatch } from './etcd-watch';
import { FreshRead } from './fresh-read';
import { keyIdentity, prefixRangeEnd } from './key-range';
import { mirrorWrites, type MirrorWrite } from './mirrors';
import { checkLeasable, checkPreconditions, isMirrored, keyLabel, sameStored, stored } from './storage-rules';
import type {
  GuardedWrite,
  GuaranteedUpdateOptions,
  Mirror,
  ListPagesOptions,
  Preconditions,
  Storage,
  StorageCreateOptions,
  StorageDeleteOptions,
  StorageListOptions,
  StorageWatchOptions,
} from '@coxswain/objects';
import { timedEtcdCall } from './etcd-metrics';
import { StorageCodec, type PrefixTransformer } from './storage-codec';

export interface EtcdStorageOptions {
  /** Deadline for each etcd call. Default 5000 ms. */
  callTimeoutMs?: number;
  /** Watch heartbeat: a progress request this often; 3 silent intervals fail the watch. Default 5000; 0 disables. */
  watchProgressIntervalMs?: number;
  /** Keys kept in step with objects (see Mirror). */
  mirrors?: readonly Mirror[];
  /** Values under these key prefixes go through their transformer (encryption at rest); see storage-codec.ts. */
  transformers?: readonly PrefixTransformer[];
  /** TLS for the client createEtcdStorage makes. */
  tls?: EtcdTLS;
  /** Close the etcd client in close() (createEtcdStorage does). */
  ownsClient?: boolean;
  logger?: Logger;
}

/** etcd's default --max-txn-ops: the most compares, and the most success ops, one txn may carry. */
const MAX_TXN_OPS = 128;
/** Keys in the first etcd range of a paged list (Kubernetes' apiserver pages its etcd lists by 500 too). */
export const LIST_PAGE_SIZE = 500;
/**
 * The later pages aim at this many bytes (by the previous page's average value size), within
 * LIST_PAGE_SIZE..LIST_MAX_PAGE_SIZE keys. Each page costs a round trip and, in etcd 3.4, a walk of
 * the index over every key left in the range: 40 pages of 500 read 20,000 small pods in 1.5x the time
 * of one range; pages of ~1 MiB in 1.1x, holding the event loop up to ~25 ms a page (500 keys: ~10).
 */
const LIST_PAGE_BYTES = 1024 * 1024;
const LIST_MAX_PAGE_SIZE = 5000;

export class EtcdStorage implements Storage {
  readonly leases: EtcdLeases;
  private readonly timeoutMs: number;
  private readonly progressMs: number;
  private readonly mirrors: readonly Mirror[];
  private readonly log: Logger;
  private readonly codec: StorageCodec;
  private readonly watches = new Set<EtcdWatch<any>>();
  /** Shared TTL leases (see ttlLease). */
  private readonly ttlLeases = new Map<number, { id: string; reuseUntil: number }>();
  private closed = false;
  private readonly revisionRead = new FreshRead(async () => {
    const res = await this.call('revision', () => this.client.kv.range({ key: Buffer.from([0]), count_only: true }, this.callOptions()));
    return res.header.revision;
  });

  constructor(
    private readonly client: Etcd3,
    private readonly opts: EtcdStorageOptions = {},
  ) {
    this.timeoutMs = opts.callTimeoutMs ?? 5000;
    this.progressMs = opts.watchProgressIntervalMs ?? 5000;
    this.mirrors = opts.mirrors ?? [];
    this.codec = new StorageCodec(opts.transformers);
    this.log = opts.logger ?? createLogger('store');
    this.leases = new EtcdLeases(client, (what, fn) => this.call(what, fn), () => this.callOptions());
  }

  // ---- create / read -------------------------------------------------------------------------------

  async create<T extends KubeObject>(key: string, obj: T, opts: StorageCreateOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const lease = await this.leaseFor(key, opts);
      try {
        const res = await this.txn({ compare: [absent(key)], success: this.createOps(key, obj, lease), failure: [] });
        if (!res.succeeded) throw new AlreadyExistsError(...keyLabel(key));
        return stored(obj, res.header.revision);
      } catch (err) {
        // A shared TTL lease revoked behind our back: forget it and take a fresh one, once.
        if (opts.ttlSeconds && attempt === 1 && err instanceof NotFoundError && err.resource === 'leases') {
          this.ttlLeases.delete(opts.ttlSeconds);
          continue;
        }
        throw err;
      }
    }
  }

  async createMany<T extends KubeObject>(entries: readonly { key: string; obj: T }[], opts: StorageCreateOptions = {}): Promise<(T | Error)[]> {
    const results: (T | Error)[] = new Array(entries.length);
    let lease: string | undefined;
    if (entries.length > 1) {
      try {
        for (const { key } of entries) lease = await this.leaseFor(key, opts);
      } catch (err) {
        return entries.map(() => err as Error);
      }
    }
    const ops = entries.map(({ key, obj }) => this.createOps(key, obj, lease));
    await this.batched(
      entries.map((e) => e.key),
      (i) => ops[i],
      (i) => absent(entries[i].key),
      async (i, revision) => {
        if (revision !== undefined) {
          results[i] = stored(entries[i].obj, revision);
          return;
        }
        try {
          results[i] = await this.create(entries[i].key, entries[i].obj, opts);
        } catch (err) {
          results[i] = err as Error;
        }
      },
      (i, err) => (results[i] = err),
    );
    return results;
  }

  async get<T extends KubeObject>(key: string): Promise<T> {
    const kv = await this.readKv(key);
    if (!kv) throw new NotFoundError(...keyLabel(key));
    return this.codec.decode<T>(key, kv.value, kv.mod_revision);
  }

  async list<T extends KubeObject>(prefix: string, opts: StorageListOptions = {}): Promise<ListResult<T>> {
    const items: T[] = [];
    let resourceVersion: string | undefined;
    for await (const page of this.listPages<T>(prefix, opts)) {
      for (const item of page.items) items.push(item.object());
      resourceVersion = page.resourceVersion;
    }
    return { items, resourceVersion: resourceVersion ?? (await this.currentRevision()) };
  }

  /**
   * The objects list() returns, read from etcd in pages (of `pageSize` keys when given, else 500 keys
   * and then about 1 MiB each), all at the first page's revision (a consistent snapshot). A list of
   * tens of thousands of objects so never holds the caller's event loop for more than one page (the
   * next page is already being fetched while the caller handles this one), and the caller can stream
   * as it reads. Items decode lazily: a caller with the encoded form cached by name and
   * resourceVersion (the API server) need not decode at all; a filter decodes only the objects whose
   * bytes may match. A revision compacted between two pages raises ExpiredError.
   */
  async *listPages<T extends KubeObject>(prefix: string, opts: ListPagesOptions = {}): AsyncGenerator<ListPage<T>> {
    const filter = opts.filter;
    const rangeEnd = prefixRangeEnd(Buffer.from(prefix));
    const start = opts.startAfter ? Buffer.concat([Buffer.from(opts.startAfter), Buffer.from([0])]) : Buffer.from(prefix);
    let limit = opts.pageSize ?? LIST_PAGE_SIZE;
    let revision: string | undefined = opts.revision;
    const fetch = (from: Buffer): Promise<IRangeResponse> =>
      this.call('list', () =>
        this.client.kv.range({ key: from, range_end: rangeEnd, limit, ...(revision ? { revision } : {}) }, this.callOptions()),
      );
    let next: ReturnType<typeof fetch> | undefined = fetch(start);
    while (next) {
      const res: IRangeResponse = await next;
      revision ??= res.header.revision;
      const at: string = revision;
      const last = res.kvs[res.kvs.length - 1];
      if (opts.pageSize === undefined) limit = nextPageSize(res.kvs);
      // Ask for the next page before handling this one: etcd works while we decode.
      next = res.more && last ? fetch(Buffer.concat([last.key, Buffer.from([0])])) : undefined;
      // An unawaited page that fails while this one is handled must not be an unhandled rejection.
      next?.catch(() => undefined);
      const items: LazyItem<T>[] = [];
      for (const kv of res.kvs) {
        const item = lazyItem<T>(kv, this.codec);
        if (filter) {
          if (filter.mayMatchJson && !filter.mayMatchJson(this.codec.plain(kv.key, kv.value))) continue;
          if (!filter.matches(item.object())) continue;
        }
        items.push(item);
      }
      yield { items, resourceVersion: at };
    }
  }

  /** etcd's compaction (not physical: etcd frees the space in the background; defragment to return it to the disk). */
  async compact(revision: string): Promise<void> {
    await this.call('compact', () => this.client.kv.compact({ revision, physical: false }, this.callOptions()));
  }

  async dbStatus(): Promise<StorageDbStatus> {
    const res = await this.call('status', () => this.client.maintenance.status(this.callOptions()));
    // dbSizeInUse is etcd 3.4's; an older member does not send it.
    const inUse = (res as { dbSizeInUse?: string }).dbSizeInUse;
    return { dbSizeBytes: Number(res.dbSize), dbSizeInUseBytes: Number(inUse ?? res.dbSize) };
  }

  /** etcd's revision now: callers at the same moment share one call that started after they asked (fresh-read.ts). */
  currentRevision(): Promise<string> {
    return this.revisionRead.get();
  }

  // ---- update ----------------------------------------------------------------------------------------

  async guaranteedUpdate<T extends KubeObject>(
    key: string,
    tryUpdate: (current: T) => T | Promise<T>,
    opts: GuaranteedUpdateOptions<T> = {},
  ): Promise<T> {
    const expected = opts.expectedVersion;
    if (opts.cached && expected !== undefined && opts.cached.metadata?.resourceVersion === expected) {
      return this.updateFromCached(key, opts.cached, tryUpdate, expected);
    }
    // A hint (the watch cache's copy) stands in for the first read; when it was stale the txn fails
    // and its failure branch hands back the stored value, so the loop goes on as after a lost race.
    const hinted = opts.hint?.metadata?.resourceVersion;
    let hint = hinted && (expected === undefined || hinted === expected) ? opts.hint : undefined;
    let kv = hint ? undefined : await this.readKv(key);
    for (;;) {
      let current: T;
      let revision: string;
      let next: T;
      if (hint) {
        current = hint;
        revision = hint.metadata.resourceVersion!;
        try {
          next = await tryUpdate(structuredClone(hint));
        } catch {
          // Refused on a copy that may be stale (a precondition, a validation): only the stored object can say.
          hint = undefined;
          kv = await this.readKv(key);
          continue;
        }
        if (sameStored(current, next)) {
          // Unchanged against the copy; whether the stored object needs writing only it can say.
          hint = undefined;
          kv = await this.readKv(key);
          continue;
        }
      } else {
        if (!kv) throw new NotFoundError(...keyLabel(key));
        if (expected !== undefined && kv.mod_revision !== expected) throw staleConflict(key, expected, kv.mod_revision);
        current = this.codec.decode<T>(key, kv.value, kv.mod_revision);
        revision = kv.mod_revision;
        // tryUpdate gets its own copy: the caller may mutate it freely.
        next = await tryUpdate(this.codec.decode<T>(key, kv.value, kv.mod_revision));
        // A value under an old encryption key is rewritten even unchanged: that is how keys rotate.
        if (sameStored(current, next) && !this.codec.stale(key, kv.value)) return current;
      }
      const value = this.codec.encode(key, next);
      const res = await this.txn({
        compare: [atRevision(key, revision)],
        success: [{ request_put: { key: Buffer.from(key), value, ignore_lease: true } }, ...this.mirrorOps(key, current, next)],
        failure: [{ request_range: { key: Buffer.from(key) } }],
      });
      if (res.succeeded) return stored(next, res.header.revision);
      const now = res.responses[0]?.response_range?.kvs[0];
      if (expected !== undefined) {
        if (!now) throw new NotFoundError(...keyLabel(key));
        throw staleConflict(key, expected, now.mod_revision);
      }
      hint = undefined;
      kv = now;
    }
  }

  /**
   * guaranteedUpdate without reading first: `cached` is the stored object at `expected` (an
   * informer's copy), so the txn writes tryUpdate's result guarded by mod_revision == expected. One
   * round trip instead of two; a stale copy gets the same ConflictError as ever.
   */
  private async updateFromCached<T extends KubeObject>(key: string, cached: T, tryUpdate: (current: T) => T | Promise<T>, expected: string): Promise<T> {
    const next = await tryUpdate(structuredClone(cached));
    if (sameStored(cached, next)) return cached;
    const res = await this.txn({
      compare: [atRevision(key, expected)],
      success: [{ request_put: { key: Buffer.from(key), value: this.codec.encode(key, next), ignore_lease: true } }, ...this.mirrorOps(key, cached, next)],
      failure: [{ request_range: { key: Buffer.from(key), keys_only: true } }],
    });
    if (res.succeeded) return stored(next, res.header.revision);
    const now = res.responses[0]?.response_range?.kvs[0];
    if (!now) throw new NotFoundError(...keyLabel(key));
    throw staleConflict(key, expected, now.mod_revision);
  }

  async updateMany<T extends KubeObject>(writes: readonly GuardedWrite<T>[]): Promise<(T | Error)[]> {
    const results: (T | Error)[] = new Array(writes.length);
    const ops: IRequestOp[][] = writes.map((w) => {
      if (!w.current.metadata?.resourceVersion) return [];
      return [{ request_put: { key: Buffer.from(w.key), value: this.codec.encode(w.key, w.next), ignore_lease: true } }, ...this.mirrorOps(w.key, w.current, w.next)];
    });
    await this.batched(
      writes.map((w) => w.key),
      (i) => {
        if (!writes[i].current.metadata?.resourceVersion) throw new BadRequestError(`updateMany: the object at ${writes[i].key} has no resourceVersion`);
        return ops[i];
      },
      (i) => atRevision(writes[i].key, writes[i].current.metadata.resourceVersion!),
      async (i, revision) => {
        const w = writes[i];
        if (revision !== undefined) {
          results[i] = stored(w.next, revision);
          return;
        }
        try {
          results[i] = await this.guaranteedUpdate<T>(w.key, () => w.next, { expectedVersion: w.current.metadata.resourceVersion, cached: w.current });
        } catch (err) {
          results[i] = err as Error;
        }
      },
      (i, err) => (results[i] = err),
    );
    return results;
  }

  /**
   * Group commit of single-key writes: as many as fit go in one txn of all their compares; a key
   * given twice, or a txn whose compares did not all hold, falls back to `alone` for each write
   * (so each gets its exact answer). `done(i, revision)` reports a write the txn made; `done(i)`
   * asks for it to be made alone.
   */
  private async batched(
    keys: readonly string[],
    opsOf: (i: number) => IRequestOp[],
    compareOf: (i: number) => NonNullable<ITxnRequest['compare']>[number],
    done: (i: number, revision?: string) => Promise<void> | void,
    failed: (i: number, err: Error) => void,
  ): Promise<void> {
    const chunks: number[][] = [];
    const alone: number[] = [];
    const seen = new Set<string>();
    let chunk: number[] | undefined;
    let opCount = 0;
    keys.forEach((key, i) => {
      let ops: IRequestOp[];
      try {
        ops = opsOf(i);
      } catch (err) {
        failed(i, err as Error);
        return;
      }
      if (seen.has(key)) {
        alone.push(i); // etcd refuses a txn that writes one key twice
        return;
      }
      seen.add(key);
      if (!chunk || opCount + ops.length > MAX_TXN_OPS) {
        chunk = [];
        chunks.push(chunk);
        opCount = 0;
      }
      opCount += ops.length;
      chunk.push(i);
    });
    await Promise.all(
      chunks.map(async (index) => {
        if (index.length === 1) return done(index[0]);
        let res: ITxnResponse | undefined;
        try {
          res = await this.txn({ compare: index.map(compareOf), success: index.flatMap(opsOf), failure: [] });
        } catch (err) {
          if (err instanceof UnavailableError) {
            for (const i of index) failed(i, err);
            return;
          }
          // Anything else (a revoked lease, a limit of etcd's): fall through and write one by one.
        }
        if (res?.succeeded) {
          await Promise.all(index.map((i) => done(i, res!.header.revision)));
          return;
        }
        await Promise.all(index.map((i) => done(i)));
      }),
    );
    await Promise.all(alone.map((i) => done(i)));
  }

  // ---- delete ----------------------------------------------------------------------------------------

  async delete<T extends KubeObject>(key: string, opts: StorageDeleteOptions<T> = {}): Promise<T> {
    const pre = opts.preconditions;
    if (!pre?.uid && !pre?.resourceVersion && !isMirrored(this.mirrors, key)) {
      // Nothing to check and nothing else to delete: one round trip.
      const res = await this.call('delete', () => this.client.kv.deleteRange({ key: Buffer.from(key), prev_kv: true }, this.callOptions()));
      if (res.deleted === '0' || res.prev_kvs.length === 0) throw new NotFoundError(...keyLabel(key));
      return this.codec.decode<T>(key, res.prev_kvs[0].value, res.header.revision);
    }
    // As in guaranteedUpdate: a hint that passes the preconditions stands in for the first read.
    let hint = opts.hint?.metadata?.resourceVersion && passes(key, opts.hint, pre) ? opts.hint : undefined;
    let kv = hint ? undefined : await this.readKv(key);
    for (;;) {
      let current: T;
      let revision: string;
      if (hint) {
        current = hint;
        revision = hint.metadata.resourceVersion!;
      } else {
        if (!kv) throw new NotFoundError(...keyLabel(key));
        current = this.codec.decode<T>(key, kv.value, kv.mod_revision);
        revision = kv.mod_revision;
        checkPreconditions(key, current, kv.mod_revision, pre);
      }
      const res = await this.txn({
        compare: [atRevision(key, revision)],
        success: [{ request_delete_range: { key: Buffer.from(key) } }, ...this.mirrorOps(key, current, undefined)],
        failure: [{ request_range: { key: Buffer.from(key) } }],
      });
      // The hint may be shared (the watch cache's frozen copy): the caller gets its own.
      if (res.succeeded) return stored(hint ? structuredClone(current) : current, res.header.revision);
      hint = undefined;
      kv = res.responses[0]?.response_range?.kvs[0];
    }
  }

  // ---- watch -----------------------------------------------------------------------------------------

  watch<T extends KubeObject>(prefix: string, opts: StorageWatchOptions = {}): Watch<T> {
    if (this.closed) throw new UnavailableError('the store is closed');
    const after = opts.afterRevision;
    if (after !== undefined && !/^[0-9]+$/.test(after)) throw new BadRequestError(`invalid resourceVersion "${after}"`);
    const filter = opts.filter ? (obj: KubeObject) => opts.filter!.matches(obj) : undefined;
    const w = new EtcdWatch<T>(
      this.client,
      { prefix, afterRevision: after === '0' ? undefined : after, filter, onProgress: opts.onProgress, previousValues: !!filter || !opts.knowsLastState, progressIntervalMs: this.progressMs, logger: this.log, codec: this.codec },
      (done) => this.watches.delete(done),
    );
    this.watches.add(w);
    return w;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.watches]) w.close();
    this.leases.close();
    if (this.opts.ownsClient) this.client.close();
  }

  // ---- plumbing ----------------------------------------------------------------------------------------

  /** The txn ops that create `obj` at `key`: the object and its mirror key, if it has one. */
  private createOps(key: string, obj: KubeObject, lease: string | undefined): IRequestOp[] {
    return [{ request_put: { key: Buffer.from(key), value: this.codec.encode(key, obj), lease } }, ...this.mirrorOps(key, undefined, obj)];
  }

  private mirrorOps(key: string, before: KubeObject | undefined, after: KubeObject | undefined): IRequestOp[] {
    return mirrorWrites(this.mirrors, key, before, after).map((w) => toOp(w, this.codec));
  }

  /** The lease a create attaches its key to: the caller's, or a shared one for its TTL. */
  private async leaseFor(key: string, opts: StorageCreateOptions): Promise<string | undefined> {
    if (!opts.lease && !opts.ttlSeconds) return undefined;
    checkLeasable(this.mirrors, key, opts);
    if (opts.lease) return opts.lease;
    if (!opts.ttlSeconds) return undefined;
    return this.ttlLease(opts.ttlSeconds);
  }

  /**
   * Objects with a TTL share leases, as the Kubernetes apiserver does: one lease is reused for 5% of
   * the TTL (at most a minute) and granted that much longer, so a burst of events costs one grant.
   */
  private async ttlLease(ttlSeconds: number): Promise<string> {
    const nowMs = Date.now();
    const cached = this.ttlLeases.get(ttlSeconds);
    if (cached && nowMs < cached.reuseUntil) return cached.id;
    const reuseMs = Math.min(60_000, Math.floor(ttlSeconds * 50));
    const id = await this.leases.grant(ttlSeconds + Math.ceil(reuseMs / 1000));
    this.ttlLeases.set(ttlSeconds, { id, reuseUntil: nowMs + reuseMs });
    return id;
  }

  private async readKv(key: string): Promise<IKeyValue | undefined> {
    const res = await this.call('get', () => this.client.kv.range({ key: Buffer.from(key) }, this.callOptions()));
    return res.kvs[0];
  }

  private txn(req: ITxnRequest): Promise<ITxnResponse> {
    return this.call('txn', () => this.client.kv.txn(req, this.callOptions()));
  }

  private callOptions() {
    return { deadline: Date.now() + this.timeoutMs };
  }

  private async call<R>(what: string, fn: () => Promise<R>): Promise<R> {
    if (this.closed) throw new UnavailableError('the store is closed');
    try {
      return await timedEtcdCall(what.replace(/ /g, '_'), fn);
    } catch (err) {
      throw translateError(err, what);
    }
  }
}


const absent = (key: string) => ({ key: Buffer.from(key), target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 });
const atRevision = (key: string, revision: string) => ({
  key: Buffer.from(key),
  target: CompareTarget.Mod,
  result: CompareResult.Equal,
  mod_revision: revision,
});

function toOp(w: MirrorWrite, codec: StorageCodec): IRequestOp {
  return w.value === undefined
    ? { request_delete_range: { key: Buffer.from(w.key) } }
    : { request_put: { key: Buffer.from(w.key), value: codec.encode(w.key, w.value) } };
}

/** Whether a (hinted) copy passes the delete's preconditions; a copy that fails them is not trusted to say so. */
function passes(key: string, copy: KubeObject, pre: Preconditions | undefined): boolean {
  try {
    checkPreconditions(key, copy, copy.metadata.resourceVersion!, pre);
    return true;
  } catch {
    return false;
  }
}

function staleConflict(key: string, expected: string, actual: string): ConflictError {
  return staleVersionError(...keyLabel(key), expected, actual);
}


function nextPageSize(kvs: readonly IKeyValue[]): number {
  if (kvs.length === 0) return LIST_PAGE_SIZE;
  let bytes = 0;
  for (const kv of kvs) bytes += kv.key.length + kv.value.length;
  const keys = Math.floor(LIST_PAGE_BYTES / Math.max(1, bytes / kvs.length));
  return Math.min(LIST_MAX_PAGE_SIZE, Math.max(LIST_PAGE_SIZE, keys));
}

/** One listed object: its identity from its key, its body decoded on first use. */
function lazyItem<T extends KubeObject>(kv: IKeyValue, codec: StorageCodec): LazyItem<T> {
  const key = kv.key.toString('utf8');
  const { namespace, name } = keyIdentity(key);
  let decoded: T | undefined;
  return {
    key,
    namespace,
    name,
    resourceVersion: kv.mod_revision,
    object: () => (decoded ??= codec.decode<T>(kv.key, kv.value, kv.mod_revision)),
  };
}

/** A storage on its own etcd client (closed with the storage). */
export function createEtcdStorage(endpoints: string[], opts: EtcdStorageOptions = {}): EtcdStorage {
  const client = createEtcdClient(endpoints, { callTimeoutMs: opts.callTimeoutMs, tls: opts.tls });
  return new EtcdStorage(client, { ...opts, ownsClient: true });
}
