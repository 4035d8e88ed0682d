// The object store on etcd. Every write is one etcd transaction guarded by a revision compare:
//   create  = txn(create_revision == 0)                 else AlreadyExistsError
//             (createMany: one txn of such compares for many objects, each alone if any is taken)
//   update  = txn(mod_revision == expected)             else ConflictError (or, in guaranteedUpdate,
//             retry from the current value the txn's else-branch read, with no extra round trip)
//   bind    = txn(mod_revision == expected) putting the pod and its bound-pod key together
//   delete  = txn(mod_revision == read) deleting the object and, for a bound pod, its bound-pod key
// A write that would change nothing is skipped. See docs/store.md.
import { randomUUID } from 'crypto';
import type { Etcd3, IKeyValue, IRangeResponse, IRequestOp, ITxnRequest, ITxnResponse } from 'etcd3';
import { CompareResult, CompareTarget } from 'etcd3';
import { decodeObject, encodeObject, deepEqual, sameFields, AlreadyExistsError, BadRequestError, ConflictError, ExpiredError, InvalidError, isStoreError, NotFoundError, UnavailableError, boundPodKey, boundPodsPrefix, effectiveNamespace, objectKey, prefixRangeEnd, resourcePrefix, ResourceInfo, ResourceName, resourceForKind, resourceInfo, parseFieldSelector, parseSelector, validateInternal } from '@coxswain/objects';
import { createEtcdClient } from './etcd-client';
import { EtcdWatch } from './etcd-watch';
import { createLogger, Logger } from '@coxswain/process';
import type { Binding, CreateOptions, DeleteOptions, LazyItem, ListOptions, ListPage, ListResult, ObjectStore, UpdateStatusOptions, Watch, WatchOptions, KubeObject, Pod } from '@coxswain/objects';

export interface EtcdStoreOptions {
  /** Deadline for each etcd call. Default 5000 ms. */
  callTimeoutMs?: number;
  /** Watch heartbeat: a progress request this often; 3 silent intervals fail the watch. Default 5000; 0 disables. */
  watchProgressIntervalMs?: number;
  /** Close the etcd client in close() (createStore does). */
  ownsClient?: boolean;
  now?: () => Date;
  random?: () => number;
  uid?: () => string;
  logger?: Logger;
}

/** Fields that are not the "spec" of an object: changes to anything else bump metadata.generation. */
const NOT_SPEC = new Set(['apiVersion', 'kind', 'metadata', 'status']);
const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const MAX_GENERATE_NAME_TRIES = 8;

export class EtcdStore implements ObjectStore {
  private readonly timeoutMs: number;
  private readonly progressMs: number;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly uid: () => string;
  private readonly log: Logger;
  private readonly watches = new Set<EtcdWatch<any>>();
  private readonly leases = new Map<number, { id: string; reuseUntil: number }>();
  private closed = false;

  constructor(
    private readonly client: Etcd3,
    private readonly opts: EtcdStoreOptions = {},
  ) {
    this.timeoutMs = opts.callTimeoutMs ?? 5000;
    this.progressMs = opts.watchProgressIntervalMs ?? 5000;
    this.now = opts.now ?? (() => new Date());
    this.random = opts.random ?? Math.random;
    this.uid = opts.uid ?? randomUUID;
    this.log = opts.logger ?? createLogger('store');
  }

  // ---- create / read -------------------------------------------------------------------------------

  async create<T extends KubeObject>(obj: T, opts: CreateOptions = {}): Promise<T> {
    const { info, generated } = creatable(obj);
    for (let attempt = 1; ; attempt++) {
      const c = this.prepareCreate(info, obj);
      const lease = opts.ttlSeconds ? await this.leaseFor(opts.ttlSeconds) : undefined;
      let res: ITxnResponse;
      try {
        res = await this.txn({ compare: [c.compare], success: this.createOps(c, lease), failure: [] });
      } catch (err) {
        // A shared lease revoked behind our back: forget it and take a fresh one.
        if (lease && isLeaseGone(err) && attempt < MAX_GENERATE_NAME_TRIES) {
          this.leases.delete(opts.ttlSeconds!);
          continue;
        }
        throw err;
      }
      if (res.succeeded) return decodeObject<T>(c.value, res.header.revision);
      if (!generated || attempt >= MAX_GENERATE_NAME_TRIES) throw new AlreadyExistsError(info.resource, c.name);
    }
  }

  /**
   * Several creates in one etcd transaction (group commit): each object is prepared as create()
   * prepares it, and the txn's compares say "none of these keys exists". One entry per object: its
   * created form (all share the txn's revision as resourceVersion) or its own error. If a key is
   * taken, nothing was written and each object is created alone, so each gets its exact answer
   * (AlreadyExistsError for a taken name, a fresh name for a generateName that collided). Objects
   * beyond etcd's --max-txn-ops (128 per txn) go in further transactions.
   */
  async createMany<T extends KubeObject>(objs: readonly T[], opts: CreateOptions = {}): Promise<(T | Error)[]> {
    const results: (T | Error)[] = new Array(objs.length);
    const alone: number[] = [];
    const chunks: { index: number[]; prepared: PreparedCreate[] }[] = [];
    let chunk: (typeof chunks)[number] | undefined;
    let ops = 0;
    const keys = new Set<string>();
    objs.forEach((obj, i) => {
      try {
        const c = this.prepareCreate(creatable(obj).info, obj);
        if (keys.has(c.keyString)) {
          alone.push(i); // etcd refuses a txn that writes one key twice
          return;
        }
        keys.add(c.keyString);
        const n = this.createOps(c, undefined).length;
        if (!chunk || ops + n > MAX_TXN_OPS) {
          chunk = { index: [], prepared: [] };
          chunks.push(chunk);
          ops = 0;
        }
        ops += n;
        chunk.index.push(i);
        chunk.prepared.push(c);
      } catch (err) {
        results[i] = err as Error;
      }
    });
    const one = async (i: number) => {
      try {
        results[i] = await this.create(objs[i], opts);
      } catch (err) {
        results[i] = err as Error;
      }
    };
    const lease = chunks.length > 0 && opts.ttlSeconds ? await this.leaseFor(opts.ttlSeconds) : undefined;
    await Promise.all(
      chunks.map(async ({ index, prepared }) => {
        if (prepared.length === 1) return one(index[0]);
        let res: ITxnResponse | undefined;
        try {
          res = await this.txn({ compare: prepared.map((c) => c.compare), success: prepared.flatMap((c) => this.createOps(c, lease)), failure: [] });
        } catch (err) {
          if (err instanceof UnavailableError) {
            for (const i of index) results[i] = err;
            return;
          }
          // Anything else (a revoked lease, a limit of etcd's): fall through and create one by one.
        }
        if (res?.succeeded) {
          prepared.forEach((c, j) => (results[index[j]] = decodeObject<T>(c.value, res!.header.revision)));
          return;
        }
        await Promise.all(index.map(one));
      }),
    );
    await Promise.all(alone.map(one));
    return results;
  }

  /** What create() writes for `obj`: defaulted metadata (a name from generateName), validated and encoded. */
  private prepareCreate(info: ResourceInfo, obj: KubeObject): PreparedCreate {
    const meta = { ...obj.metadata };
    delete meta.resourceVersion;
    if (!obj.metadata.name) meta.name = `${meta.generateName}${this.randomSuffix()}`;
    const ns = effectiveNamespace(info.resource, meta.namespace);
    if (ns === undefined) delete meta.namespace;
    else meta.namespace = ns;
    meta.uid = this.uid();
    meta.creationTimestamp = rfc3339(this.now());
    meta.generation = 1;
    const prepared = { ...obj, apiVersion: 'v1', metadata: meta };
    this.validate(prepared);
    const keyString = objectKey(info.resource, ns, meta.name);
    const key = Buffer.from(keyString);
    return {
      info,
      name: meta.name,
      keyString,
      key,
      prepared,
      value: encodeObject(prepared),
      compare: { key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 },
    };
  }

  /** The txn ops that store a prepared create: the object, and for a pod created bound its bound-pod key. */
  private createOps(c: PreparedCreate, lease: string | undefined): IRequestOp[] {
    const ops: IRequestOp[] = [{ request_put: { key: c.key, value: c.value, lease } }];
    if (c.info.kind === 'Pod') ops.push(...this.boundPodOps(undefined, c.prepared as unknown as Pod));
    return ops;
  }

  async get<T extends KubeObject>(resource: ResourceName, namespace: string | undefined, name: string): Promise<T> {
    const kv = await this.readKv(objectKey(resource, namespace, name));
    if (!kv) throw new NotFoundError(resource, name);
    return decodeObject<T>(kv.value, kv.mod_revision);
  }

  async list<T extends KubeObject>(resource: ResourceName, opts: ListOptions = {}): Promise<ListResult<T>> {
    const items: T[] = [];
    let resourceVersion = '0';
    for await (const page of this.listPages<T>(resource, opts)) {
      for (const item of page.items) items.push(item.object());
      resourceVersion = page.resourceVersion;
    }
    return { items, resourceVersion };
  }

  /**
   * The objects list() returns, read from etcd in pages (of `pageSize` keys when given, else 500 keys
   * and then about 1 MiB each), all at the first page's revision (a consistent snapshot). A list of
   * tens of thousands of objects so never holds the caller's event loop for more than one page (the
   * next page is already being fetched while the caller handles this one), and the caller can stream
   * as it reads. Items decode lazily: a caller with the encoded form cached by name and
   * resourceVersion (the API server) need not decode at all; selectors decode only the objects whose
   * bytes hold the wanted label values. A revision compacted between two pages raises ExpiredError.
   */
  async *listPages<T extends KubeObject>(resource: ResourceName, opts: ListOptions & { pageSize?: number } = {}): AsyncGenerator<ListPage<T>> {
    const labels = parseSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector);
    const filtered = !labels.empty || !fields.empty;
    const prefix = Buffer.from(resourcePrefix(resource, opts.namespace));
    const allNamespaces = Buffer.from(resourcePrefix(resource));
    const rangeEnd = prefixRangeEnd(prefix);
    let limit = opts.pageSize ?? LIST_PAGE_SIZE;
    let revision: string | undefined;
    const fetch = (from: Buffer): Promise<IRangeResponse> =>
      this.call('list', () =>
        this.client.kv.range({ key: from, range_end: rangeEnd, limit, ...(revision ? { revision } : {}) }, this.callOptions()),
      );
    let next: ReturnType<typeof fetch> | undefined = fetch(prefix);
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
        const item = lazyItem<T>(kv, allNamespaces.length);
        if (filtered) {
          if (!labels.mayMatchJson(kv.value)) continue;
          const obj = item.object();
          if (!(labels.empty || labels.matches(obj.metadata.labels)) || !(fields.empty || fields.matches(obj))) continue;
        }
        items.push(item);
      }
      yield { items, resourceVersion: at };
    }
  }

  async currentRevision(): Promise<string> {
    const res = await this.call('revision', () =>
      this.client.kv.range({ key: Buffer.from('/registry/'), count_only: true }, this.callOptions()),
    );
    return res.header.revision;
  }

  // ---- update ----------------------------------------------------------------------------------------

  async update<T extends KubeObject>(obj: T): Promise<T> {
    const info = kindInfo(obj);
    const expected = requireVersion(obj);
    return this.writeLoop<T>(info, obj.metadata.namespace, obj.metadata.name, expected, (current) => {
      const next = { ...obj } as T;
      if (info.hasStatus) setOrDelete(next, 'status', current.status);
      if (info.kind === 'Pod') {
        // spec.nodeName belongs to binding: an update keeps it, and may not move the pod.
        const bound = (current as unknown as Pod).spec?.nodeName;
        const wanted = (obj as unknown as Pod).spec?.nodeName;
        if (wanted && wanted !== bound) {
          throw new InvalidError('Pod', obj.metadata.name, [
            { field: 'spec.nodeName', message: bound ? `may not be changed (bound to "${bound}")` : 'is set by binding, not by an update' },
          ]);
        }
        const spec = { ...(obj as unknown as Pod).spec };
        setOrDelete(spec, 'nodeName', bound);
        (next as unknown as Pod).spec = spec;
      }
      return next;
    });
  }

  async updateStatus<T extends KubeObject>(obj: T, opts: UpdateStatusOptions = {}): Promise<T> {
    const info = kindInfo(obj);
    if (!info.hasStatus) throw new BadRequestError(`${info.resource} have no status`);
    const expected = requireVersion(obj);
    if (opts.cached) return this.updateStatusFromCached(info, obj, expected);
    return this.writeLoop<T>(info, obj.metadata.namespace, obj.metadata.name, expected, (current) => {
      const next = { ...current };
      setOrDelete(next, 'status', obj.status);
      return next;
    });
  }

  /**
   * updateStatus() without reading first: `obj` is the stored object at `expected` but for its status
   * (a controller's informer copy), so the txn writes it as is, guarded by mod_revision == expected.
   * One round trip instead of two; a stale copy gets the same ConflictError as ever.
   */
  private async updateStatusFromCached<T extends KubeObject>(info: ResourceInfo, obj: T, expected: string): Promise<T> {
    const key = Buffer.from(objectKey(info.resource, obj.metadata.namespace, obj.metadata.name));
    const next = this.finalize(info, obj, obj);
    this.validate(next);
    const value = encodeObject(next);
    const res = await this.txn({
      compare: [{ key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: expected }],
      // Status only: the bound-pod copy (which has no status) does not change; the lease stays.
      success: [{ request_put: { key, value, ignore_lease: true } }],
      failure: [{ request_range: { key, keys_only: true } }],
    });
    // What was written, without parsing it back (status writes are the kubelets' most frequent call).
    if (res.succeeded) return { ...next, metadata: { ...next.metadata, resourceVersion: res.header.revision } };
    if (!res.responses[0]?.response_range?.kvs.length) throw new NotFoundError(info.resource, obj.metadata.name);
    throw conflict(info, obj.metadata.name);
  }

  async guaranteedUpdate<T extends KubeObject>(
    resource: ResourceName,
    namespace: string | undefined,
    name: string,
    fn: (current: T) => T | Promise<T>,
  ): Promise<T> {
    const info = resourceInfo(resource);
    if (!info) throw new BadRequestError(`unknown resource "${resource}"`);
    return this.writeLoop<T>(info, namespace, name, undefined, fn);
  }

  /**
   * The compare-and-swap loop behind every update. With `expected`, the first mismatch is a
   * ConflictError; without, a lost race retries `compute` on the value the failed txn read.
   */
  private async writeLoop<T extends KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    expected: string | undefined,
    compute: (current: T) => T | Promise<T>,
  ): Promise<T> {
    const keyString = objectKey(info.resource, namespace, name);
    const key = Buffer.from(keyString);
    let kv = await this.readKv(keyString);
    for (;;) {
      if (!kv) throw new NotFoundError(info.resource, name);
      if (expected !== undefined && kv.mod_revision !== expected) throw conflict(info, name);
      const current = decodeObject<T>(kv.value, kv.mod_revision);
      // compute gets its own copy: the caller may mutate it freely.
      const desired = await compute(decodeObject<T>(kv.value, kv.mod_revision));
      const next = this.finalize(info, current, desired);
      if (sameStored(current, next)) return current; // nothing to write
      this.validate(next);
      const value = encodeObject(next);
      const success: IRequestOp[] = [{ request_put: { key, value, lease: kv.lease } }];
      if (info.kind === 'Pod') success.push(...this.boundPodOps(current as unknown as Pod, next as unknown as Pod));
      const res = await this.txn({
        compare: [{ key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: kv.mod_revision }],
        success,
        failure: [{ request_range: { key } }],
      });
      if (res.succeeded) return decodeObject<T>(value, res.header.revision);
      if (expected !== undefined) throw conflict(info, name);
      kv = res.responses[0]?.response_range?.kvs[0];
    }
  }

  /** Identity fields come from the stored object; generation moves with the spec. */
  private finalize<T extends KubeObject>(info: ResourceInfo, current: T, desired: T): T {
    if (!desired || typeof desired !== 'object') throw new BadRequestError('an update must produce an object');
    if (desired.kind !== info.kind) {
      throw new BadRequestError(`kind "${desired.kind}" does not match resource "${info.resource}" (kind ${info.kind})`);
    }
    const meta = { ...desired.metadata };
    delete meta.resourceVersion;
    delete meta.generateName;
    meta.name = current.metadata.name;
    setOrDelete(meta, 'namespace', current.metadata.namespace);
    meta.uid = current.metadata.uid;
    meta.creationTimestamp = current.metadata.creationTimestamp;
    const specChanged = !sameFields(current as any, desired as any, NOT_SPEC);
    meta.generation = (current.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    if (current.metadata.generateName !== undefined) meta.generateName = current.metadata.generateName;
    return { ...desired, apiVersion: 'v1', metadata: meta };
  }

  // ---- delete ----------------------------------------------------------------------------------------

  async delete<T extends KubeObject>(
    resource: ResourceName,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<T> {
    const info = resourceInfo(resource);
    if (!info) throw new BadRequestError(`unknown resource "${resource}"`);
    const keyString = objectKey(resource, namespace, name);
    const key = Buffer.from(keyString);
    const pre = opts.preconditions;
    if (!pre?.uid && !pre?.resourceVersion && info.kind !== 'Pod') {
      // Nothing to check and nothing else to delete: one round trip.
      const res = await this.call('delete', () => this.client.kv.deleteRange({ key, prev_kv: true }, this.callOptions()));
      if (res.deleted === '0' || res.prev_kvs.length === 0) throw new NotFoundError(resource, name);
      return decodeObject<T>(res.prev_kvs[0].value, res.header.revision);
    }
    let kv = await this.readKv(keyString);
    for (;;) {
      if (!kv) throw new NotFoundError(resource, name);
      const current = decodeObject<T>(kv.value, kv.mod_revision);
      if (pre?.uid && current.metadata.uid !== pre.uid) {
        throw new ConflictError(resource, name, `precondition failed: uid in precondition ${pre.uid}, uid of the object ${current.metadata.uid}`);
      }
      if (pre?.resourceVersion && kv.mod_revision !== pre.resourceVersion) {
        throw new ConflictError(
          resource,
          name,
          `precondition failed: resourceVersion in precondition ${pre.resourceVersion}, resourceVersion of the object ${kv.mod_revision}`,
        );
      }
      const success: IRequestOp[] = [{ request_delete_range: { key } }];
      if (info.kind === 'Pod') success.push(...this.boundPodOps(current as unknown as Pod, undefined));
      const res = await this.txn({
        compare: [{ key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: kv.mod_revision }],
        success,
        failure: [{ request_range: { key } }],
      });
      if (res.succeeded) {
        current.metadata.resourceVersion = res.header.revision;
        return current;
      }
      kv = res.responses[0]?.response_range?.kvs[0];
    }
  }

  // ---- pods and minions --------------------------------------------------------------------------------

  async bind(namespace: string, podName: string, minion: string, expectedResourceVersion: string, cached?: Pod): Promise<void> {
    boundPodsPrefix(minion); // validates the minion name
    const keyString = objectKey('pods', namespace, podName);
    const key = Buffer.from(keyString);
    if (
      cached &&
      cached.metadata.resourceVersion === expectedResourceVersion &&
      cached.metadata.name === podName &&
      effectiveNamespace('pods', cached.metadata.namespace) === effectiveNamespace('pods', namespace)
    ) {
      return this.bindCached(key, podName, minion, expectedResourceVersion, cached);
    }
    const kv = await this.readKv(keyString);
    if (!kv) throw new NotFoundError('pods', podName);
    if (kv.mod_revision !== expectedResourceVersion) {
      throw new ConflictError('pods', podName, `the pod has been modified (resourceVersion ${kv.mod_revision}, expected ${expectedResourceVersion})`);
    }
    const pod = decodeObject<Pod>(kv.value, kv.mod_revision);
    if (pod.spec?.nodeName) throw new ConflictError('pods', podName, `pod is already bound to "${pod.spec.nodeName}"`);
    // Binding is an assignment, not a user's spec change: generation stays.
    const next: Pod = { ...pod, spec: { ...pod.spec, nodeName: minion } };
    this.validate(next);
    const res = await this.txn({
      compare: [{ key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: kv.mod_revision }],
      success: [{ request_put: { key, value: encodeObject(next), lease: kv.lease } }, ...this.boundPodOps(pod, next)],
      failure: [],
    });
    if (!res.succeeded) throw new ConflictError('pods', podName, 'the pod changed while being bound');
  }

  async bindMany(bindings: readonly Binding[]): Promise<(Error | undefined)[]> {
    const results: (Error | undefined)[] = new Array(bindings.length).fill(undefined);
    const compare: ITxnRequest['compare'] = [];
    const success: IRequestOp[] = [];
    const batched: number[] = [];
    const alone: number[] = [];
    const keys = new Set<string>();
    bindings.forEach((b, i) => {
      try {
        boundPodsPrefix(b.minion);
        const keyString = objectKey('pods', b.namespace, b.podName);
        const expected = b.pod.metadata.resourceVersion;
        if (!expected || b.pod.metadata.name !== b.podName || effectiveNamespace('pods', b.pod.metadata.namespace) !== effectiveNamespace('pods', b.namespace)) {
          throw new BadRequestError(`bindMany: the pod given for ${b.namespace}/${b.podName} is not that pod at a revision`);
        }
        if (keys.has(keyString)) {
          alone.push(i); // etcd refuses a txn that writes one key twice
          return;
        }
        keys.add(keyString);
        if (b.pod.spec?.nodeName) throw new ConflictError('pods', b.podName, `pod is already bound to "${b.pod.spec.nodeName}"`);
        const next: Pod = { ...b.pod, spec: { ...b.pod.spec, nodeName: b.minion } };
        this.validate(next);
        const key = Buffer.from(keyString);
        compare!.push({ key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: expected });
        success.push({ request_put: { key, value: encodeObject(next), ignore_lease: true } }, ...this.boundPodOps(b.pod, next));
        batched.push(i);
      } catch (err) {
        results[i] = err as Error;
      }
    });
    const one = async (i: number) => {
      const b = bindings[i];
      try {
        await this.bind(b.namespace, b.podName, b.minion, b.pod.metadata.resourceVersion!, b.pod);
      } catch (err) {
        results[i] = err as Error;
      }
    };
    if (batched.length === 1) alone.push(batched[0]);
    else if (batched.length > 1) {
      let succeeded = false;
      try {
        succeeded = (await this.txn({ compare, success, failure: [] })).succeeded;
      } catch (err) {
        if (err instanceof UnavailableError) {
          for (const i of batched) results[i] = err;
          return results;
        }
        // Anything else (a limit of etcd's, say): fall through and bind one by one.
      }
      // Some pod changed meanwhile: bind each alone, so each gets its own exact answer.
      if (!succeeded) alone.push(...batched);
    }
    await Promise.all(alone.map(one));
    return results;
  }

  /**
   * bind() from the caller's copy of the pod at `expected` (an informer's): one round trip instead of
   * a read and a txn. The compare on the mod revision makes the copy as good as a fresh read: if the
   * stored pod is not exactly that revision nothing is written, and the else-branch read tells a
   * deleted pod (NotFound) from a changed one (Conflict). The pod keeps whatever lease it has.
   */
  private async bindCached(key: Buffer, podName: string, minion: string, expected: string, cached: Pod): Promise<void> {
    if (cached.spec?.nodeName) throw new ConflictError('pods', podName, `pod is already bound to "${cached.spec.nodeName}"`);
    const next: Pod = { ...cached, spec: { ...cached.spec, nodeName: minion } };
    this.validate(next);
    const res = await this.txn({
      compare: [{ key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: expected }],
      success: [{ request_put: { key, value: encodeObject(next), ignore_lease: true } }, ...this.boundPodOps(cached, next)],
      failure: [{ request_range: { key } }],
    });
    if (res.succeeded) return;
    const kv = res.responses[0]?.response_range?.kvs[0];
    if (!kv) throw new NotFoundError('pods', podName);
    throw new ConflictError('pods', podName, `the pod has been modified (resourceVersion ${kv.mod_revision}, expected ${expected})`);
  }

  async listBoundPods(minion: string): Promise<ListResult<Pod>> {
    const prefix = Buffer.from(boundPodsPrefix(minion));
    const res = await this.call('list bound pods', () =>
      this.client.kv.range({ key: prefix, range_end: prefixRangeEnd(prefix) }, this.callOptions()),
    );
    return { items: res.kvs.map((kv) => decodeObject<Pod>(kv.value, kv.mod_revision)), resourceVersion: res.header.revision };
  }

  watchBoundPods(minion: string, opts: Pick<WatchOptions, 'resourceVersion' | 'onProgress'> = {}): Watch<Pod> {
    return this.openWatch<Pod>(boundPodsPrefix(minion), opts, undefined);
  }

  /**
   * The bound-pod key ops that keep /registry/boundpods in step with a pod write: put it when the
   * pod is bound and its non-status content changed, delete it when the pod leaves the minion.
   */
  private boundPodOps(before: Pod | undefined, after: Pod | undefined): IRequestOp[] {
    const ops: IRequestOp[] = [];
    const was = before?.spec?.nodeName;
    const now = after?.spec?.nodeName;
    if (was && was !== now) {
      ops.push({ request_delete_range: { key: Buffer.from(boundPodKey(was, before!.metadata.namespace!, before!.metadata.name)) } });
    }
    if (now) {
      const value = withoutStatus(after!);
      if (was !== now || !sameStored(withoutStatus(before!), value)) {
        ops.push({
          request_put: { key: Buffer.from(boundPodKey(now, after!.metadata.namespace!, after!.metadata.name)), value: encodeObject(value) },
        });
      }
    }
    return ops;
  }

  // ---- watch -------------------------------------------------------------------------------------------

  watch<T extends KubeObject>(resource: ResourceName, opts: WatchOptions = {}): Watch<T> {
    const labels = parseSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector);
    const filter =
      labels.empty && fields.empty
        ? undefined
        : (obj: KubeObject) => labels.matches(obj.metadata?.labels) && fields.matches(obj);
    return this.openWatch<T>(resourcePrefix(resource, opts.namespace), opts, filter);
  }

  private openWatch<T extends KubeObject>(
    prefix: string,
    opts: Pick<WatchOptions, 'resourceVersion' | 'onProgress'>,
    filter: ((obj: KubeObject) => boolean) | undefined,
  ): EtcdWatch<T> {
    if (this.closed) throw new UnavailableError('the store is closed');
    let after: string | undefined;
    if (opts.resourceVersion !== undefined && opts.resourceVersion !== '' && opts.resourceVersion !== '0') {
      if (!/^[0-9]+$/.test(opts.resourceVersion)) throw new BadRequestError(`invalid resourceVersion "${opts.resourceVersion}"`);
      after = opts.resourceVersion;
    }
    const w = new EtcdWatch<T>(
      this.client,
      { prefix, afterRevision: after, filter, onProgress: opts.onProgress, progressIntervalMs: this.progressMs, logger: this.log },
      (done) => this.watches.delete(done),
    );
    this.watches.add(w);
    return w;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.watches]) w.close();
    if (this.opts.ownsClient) this.client.close();
  }

  // ---- plumbing ----------------------------------------------------------------------------------------

  private validate(obj: KubeObject): void {
    const causes = validateInternal(obj);
    if (causes.length > 0) throw new InvalidError(obj.kind, obj.metadata?.name ?? '', causes);
  }

  private randomSuffix(): string {
    let s = '';
    for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(this.random() * NAME_CHARS.length) % NAME_CHARS.length];
    return s;
  }

  /**
   * Objects with a TTL share leases, as the Kubernetes apiserver does: one lease is reused for 5% of
   * the TTL (at most a minute) and granted that much longer, so a burst of events costs one grant.
   */
  private async leaseFor(ttlSeconds: number): Promise<string> {
    const nowMs = Date.now();
    const cached = this.leases.get(ttlSeconds);
    if (cached && nowMs < cached.reuseUntil) return cached.id;
    const reuseMs = Math.min(60_000, Math.floor(ttlSeconds * 50));
    const res = await this.call('lease grant', () =>
      this.client.leaseClient.leaseGrant({ TTL: ttlSeconds + Math.ceil(reuseMs / 1000), ID: 0 }, this.callOptions()),
    );
    this.leases.set(ttlSeconds, { id: res.ID, reuseUntil: nowMs + reuseMs });
    return res.ID;
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
      return await fn();
    } catch (err) {
      throw translateError(err, what);
    }
  }
}

const METADATA = new Set(['metadata']);

/** Whether two objects would store the same (resourceVersion is not stored). */
function sameStored(a: KubeObject, b: KubeObject): boolean {
  return sameFields(a as never, b as never, METADATA) && deepEqual(withoutVersion(a.metadata), withoutVersion(b.metadata));
}

/** etcd and gRPC failures in store terms: unreachable or slow -> Unavailable; compacted -> Expired. */
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

function nextPageSize(kvs: readonly IKeyValue[]): number {
  if (kvs.length === 0) return LIST_PAGE_SIZE;
  let bytes = 0;
  for (const kv of kvs) bytes += kv.key.length + kv.value.length;
  const keys = Math.floor(LIST_PAGE_BYTES / Math.max(1, bytes / kvs.length));
  return Math.min(LIST_MAX_PAGE_SIZE, Math.max(LIST_PAGE_SIZE, keys));
}

/** One listed object: its identity from the etcd key, its body decoded on first use. */
function lazyItem<T extends KubeObject>(kv: IKeyValue, resourcePrefixLength: number): LazyItem<T> {
  const path = kv.key.toString('utf8', resourcePrefixLength);
  const slash = path.indexOf('/');
  let decoded: T | undefined;
  return {
    namespace: slash >= 0 ? path.slice(0, slash) : undefined,
    name: slash >= 0 ? path.slice(slash + 1) : path,
    resourceVersion: kv.mod_revision,
    object: () => (decoded ??= decodeObject<T>(kv.value, kv.mod_revision)),
  };
}

export function translateError(err: unknown, what = 'etcd call'): unknown {
  if (isStoreError(err)) return err;
  const e = err as Error;
  const message = String(e?.message ?? err);
  const name = String(e?.name ?? e?.constructor?.name ?? '');
  if (/required revision has been compacted/.test(message)) return new ExpiredError('unknown');
  if (
    /GRPCUnavailable|GRPCDeadlineExceeded|GRPCCancelled|ClientClosed|BrokenCircuit|GRPCConnectFailed/.test(name) ||
    /UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|No connection established|Deadline exceeded|timed out|leader changed|no leader|too many requests|unhealthy cluster|Connection dropped|circuit/i.test(message)
  ) {
    return new UnavailableError(`etcd unavailable (${what}): ${message}`, err);
  }
  return err;
}

function kindInfo(obj: KubeObject): ResourceInfo {
  const info = obj && typeof obj === 'object' ? resourceForKind(obj.kind) : undefined;
  if (!info) throw new BadRequestError(`unknown kind "${obj?.kind}"`);
  if (!obj.metadata || typeof obj.metadata !== 'object') {
    throw new InvalidError(obj.kind, '', [{ field: 'metadata', message: 'required' }]);
  }
  return info;
}

/** A create prepared for its txn (see EtcdStore.prepareCreate). */
interface PreparedCreate {
  info: ResourceInfo;
  name: string;
  keyString: string;
  key: Buffer;
  prepared: KubeObject;
  value: Buffer;
  compare: NonNullable<ITxnRequest['compare']>[number];
}

/** etcd's default --max-txn-ops: the most compares, and the most success ops, one txn may carry. */
const MAX_TXN_OPS = 128;

/** The checks create() makes before preparing: a known kind, and a name or a generateName. */
function creatable(obj: KubeObject): { info: ResourceInfo; generated: boolean } {
  const info = kindInfo(obj);
  const generated = !obj.metadata.name && !!obj.metadata.generateName;
  if (!obj.metadata.name && !generated) {
    throw new InvalidError(obj.kind, '', [{ field: 'metadata.name', message: 'name or generateName is required' }]);
  }
  return { info, generated };
}

function isLeaseGone(err: unknown): boolean {
  return /lease not found/.test(String((err as Error)?.message));
}

function requireVersion(obj: KubeObject): string {
  const rv = obj.metadata.resourceVersion;
  if (!rv) throw new BadRequestError(`${obj.kind} "${obj.metadata.name}": metadata.resourceVersion is required for an update`);
  return rv;
}

function conflict(info: ResourceInfo, name: string): ConflictError {
  return new ConflictError(info.resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
}

function withoutStatus(pod: Pod): Pod {
  const { status: _status, ...rest } = pod;
  return rest as Pod;
}

function withoutVersion<M extends { resourceVersion?: string }>(meta: M): Omit<M, 'resourceVersion'> {
  const { resourceVersion: _rv, ...rest } = meta;
  return rest;
}

function setOrDelete<O extends object, K extends keyof O>(o: O, k: K, v: O[K] | undefined): void {
  if (v === undefined) delete o[k];
  else o[k] = v;
}

/** RFC 3339 in UTC at second precision, as Kubernetes writes timestamps. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A store on its own etcd client (closed with the store). */
export function createStore(endpoints: string[], opts: EtcdStoreOptions = {}): EtcdStore {
  const client = createEtcdClient(endpoints, { callTimeoutMs: opts.callTimeoutMs });
  return new EtcdStore(client, { ...opts, ownsClient: true });
}
