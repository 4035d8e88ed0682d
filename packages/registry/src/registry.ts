// The registry: the one way objects are written and read, for the API server, the reconcilers
// and the kubelets alike. It knows kinds — where each lives (keys.ts), the rules of each write
// (strategy.ts), binding (binding.ts) — and keeps them on a kind-agnostic Storage (etcd, or memory
// in unit tests).
import { randomUUID } from 'crypto';
import {
  AlreadyExistsError,
  BadRequestError,
  boundPodsPrefix,
  effectiveNamespace,
  InvalidError,
  objectKey,
  realClock,
  resourceInfo,
  resourcePrefix,
  staleVersionError,
  type Binding,
  type Clock,
  type CreateOptions,
  type DeleteOptions,
  type KubeObject,
  type ListOptions,
  type ListPage,
  type ListResult,
  type ObjectStore,
  type Minion,
  type Pod,
  type ResourceName,
  type Service,
  type StatusUpdate,
  type UpdateOptions,
  type UpdateStatusOptions,
  type Watch,
  type WatchOptions,
} from '@coxswain/objects';
import type { GuardedWrite, Storage } from '@coxswain/objects';
import { admitCreates, needsAdmission } from './admission';
import { deleteNamespace } from './namespace-lifecycle';
import { DryRunStorage } from './dry-run-storage';
import { boundPod, POD_MIRRORS } from './binding';
import { listFilter } from './list-filter';
import type { PodCidrAllocator } from './pod-cidr-allocator';
import type { PortalAllocator } from './portal-allocator';
import { PolicyReads } from './policy-reads';
import { creditQuotas, usageOf } from './quota';
import { strategyFor, strategyOf, type Strategy } from './strategy';

export interface RegistryOptions {
  clock?: Clock;
  /** New objects' uids. */
  uid?: () => string;
  /** Names from metadata.generateName. */
  random?: () => number;
  /** Hands every new service a portal IP (the API server's --portal-net); without it a given one is stored as sent. */
  portals?: PortalAllocator;
  /** Hands every new Minion a pod subnet (or claims the one it asks for): the cluster CIDR's allocator. */
  podCidrs?: PodCidrAllocator;
}

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const MAX_GENERATE_NAME_TRIES = 8;

/** The mirrors a Storage must keep for the registry (a bound pod's copy under its minion). */
export const REGISTRY_MIRRORS = POD_MIRRORS;

export class Registry implements ObjectStore {
  private readonly clock: Clock;
  private readonly uid: () => string;
  private readonly random: () => number;
  private readonly portals?: PortalAllocator;
  private readonly podCidrs?: PodCidrAllocator;
  /** Admission's reads of quotas and limit ranges, at least as new as this registry's own writes of them. */
  private policies: PolicyReads;

  /** `storage` must keep REGISTRY_MIRRORS (see openRegistry). */
  constructor(
    readonly storage: Storage,
    opts: RegistryOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.uid = opts.uid ?? randomUUID;
    this.random = opts.random ?? Math.random;
    this.portals = opts.portals;
    this.podCidrs = opts.podCidrs;
    this.policies = new PolicyReads(storage);
  }

  /** Writes the allocators' ranges (the API server at start), so kubelets find the cluster CIDR before registering. */
  async ensureRanges(): Promise<void> {
    await this.podCidrs?.ensureStored();
  }

  private dryRunRegistry?: Registry;

  /** The same registry over storage that writes nothing (dryRun=All). */
  private dryRun(): Registry {
    if (!this.dryRunRegistry) {
      this.dryRunRegistry = new Registry(new DryRunStorage(this.storage), { clock: this.clock, uid: this.uid, random: this.random });
      this.dryRunRegistry.policies = this.policies; // a dry run meets the policies this registry wrote
    }
    return this.dryRunRegistry;
  }

  // ---- create / read -------------------------------------------------------------------------------

  async create<T extends KubeObject>(obj: T, opts: CreateOptions = {}): Promise<T> {
    if (opts.dryRun) return this.dryRun().create(obj, { ...opts, dryRun: false });
    const strategy = strategyOf(obj);
    for (let attempt = 1; ; attempt++) {
      const { key, prepared } = this.prepareCreate(strategy, obj);
      // Quota charges and the allocator write come first: a failed write gives them back, so two
      // creates can never both pass a limit or get one address. (A crash in between leaves a charge
      // or a marked address too many; PortalRepair gives the address back.)
      const admission = await admitCreates(this.storage, this.policies, [strategy], [prepared]);
      if (admission.refusals[0]) throw admission.refusals[0];
      let giveBack: (() => Promise<void>) | undefined;
      try {
        giveBack = await this.allocateFor(prepared);
        return this.noted(await this.storage.create(key, prepared as T, { ttlSeconds: opts.ttlSeconds ?? strategy.ttlSeconds }));
      } catch (err) {
        await giveBack?.();
        await admission.giveBack(0);
        // A generated name that is taken: draw another.
        if (err instanceof AlreadyExistsError && !obj.metadata.name && attempt < MAX_GENERATE_NAME_TRIES) continue;
        throw err;
      }
    }
  }

  /**
   * A new service's portal IP or a new minion's pod subnet, set on `prepared`: the one it asks for
   * if free and in range, else the next free. Returns how to give it back when the write fails.
   */
  private async allocateFor(prepared: KubeObject): Promise<(() => Promise<void>) | undefined> {
    if (this.portals && prepared.kind === 'Service') {
      const spec = (prepared as Service).spec;
      const ip = await this.portals.allocate(prepared.metadata.name, spec.clusterIP || undefined);
      spec.clusterIP = ip;
      return () => this.portals!.release(ip);
    }
    if (this.podCidrs && prepared.kind === 'Minion') {
      const minion = prepared as Minion;
      const requested = minion.spec?.podCIDR || undefined;
      const cidr = await this.podCidrs.allocate(minion.metadata.name, requested);
      if (!cidr) return undefined; // no range anywhere, none asked for
      minion.spec = { ...(minion.spec ?? {}), podCIDR: cidr };
      // With no range configured the subnet was kept as sent, not claimed: its release is a no-op.
      return () => this.podCidrs!.release(cidr);
    }
    return undefined;
  }

  async createMany<T extends KubeObject>(objs: readonly T[], opts: CreateOptions = {}): Promise<(T | Error)[]> {
    // Services and minions take an allocator write each: one at a time through create().
    if ((this.portals && objs.some((o) => o.kind === 'Service')) || (this.podCidrs && objs.some((o) => o.kind === 'Minion'))) return Promise.all(objs.map((o) => this.create(o, opts).catch((e: Error) => e)));
    const results: (T | Error)[] = new Array(objs.length);
    const entries: { key: string; obj: T }[] = [];
    const index: number[] = [];
    const strategies: Strategy[] = [];
    let ttlSeconds = opts.ttlSeconds;
    objs.forEach((obj, i) => {
      try {
        const strategy = strategyOf(obj);
        ttlSeconds ??= strategy.ttlSeconds;
        const { key, prepared } = this.prepareCreate(strategy, obj);
        entries.push({ key, obj: prepared as T });
        index.push(i);
        strategies.push(strategy);
      } catch (err) {
        results[i] = err as Error;
      }
    });
    // The namespaces' quotas and limit ranges, for the objects of namespaces that have some: one
    // charge of each quota for the whole batch.
    const policed = await this.withPolicies(entries.map((e) => e.obj));
    const admission = await admitCreates(this.storage, this.policies, policed.map((j) => strategies[j]!), policed.map((j) => entries[j]!.obj));
    const refused = new Set<number>();
    admission.refusals.forEach((err, k) => {
      if (!err) return;
      results[index[policed[k]!]!] = err;
      refused.add(policed[k]!);
    });
    const writes = entries.map((e, j) => ({ e, j })).filter(({ j }) => !refused.has(j));
    const created = writes.length > 0 ? this.noted(await this.storage.createMany(writes.map(({ e }) => e), { ttlSeconds })) : [];
    await Promise.all(
      created.map(async (r, w) => {
        const j = writes[w]!.j;
        const i = index[j]!;
        if (r instanceof Error && policed.includes(j)) await admission.giveBack(policed.indexOf(j));
        // A generated name that collided: create() draws others.
        results[i] = r instanceof AlreadyExistsError && !objs[i].metadata.name ? await this.create(objs[i], opts).catch((e: Error) => e) : r;
      }),
    );
    return results;
  }

  /** The indexes of `objs` whose namespace has admission policies for their kind (one look per namespace and kind). */
  private async withPolicies(objs: readonly KubeObject[]): Promise<number[]> {
    const looks = new Map<string, Promise<boolean>>();
    const answers = await Promise.all(
      objs.map((obj) => {
        const key = `${obj.kind}/${obj.metadata.namespace ?? ''}`;
        if (!looks.has(key)) looks.set(key, needsAdmission(this.policies, obj));
        return looks.get(key)!;
      }),
    );
    return answers.flatMap((yes, i) => (yes ? [i] : []));
  }

  /** What create() stores: the strategy's new object with a name, uid, timestamp and generation 1, validated. */
  private prepareCreate(strategy: Strategy, obj: KubeObject): { key: string; prepared: KubeObject } {
    const prepared = strategy.prepareForCreate(obj);
    const meta = prepared.metadata;
    if (!meta.name) {
      if (!meta.generateName) throw new InvalidError(obj.kind, '', [{ field: 'metadata.name', message: 'name or generateName is required' }]);
      meta.name = `${meta.generateName}${this.randomSuffix()}`;
    }
    meta.uid = this.uid();
    meta.creationTimestamp = rfc3339(this.clock.now());
    meta.generation = 1;
    strategy.validate(prepared);
    return { key: objectKey(strategy.info.resource, meta.namespace, meta.name), prepared };
  }

  async get<T extends KubeObject>(resource: ResourceName, namespace: string | undefined, name: string): Promise<T> {
    return this.storage.get<T>(objectKey(resource, namespace, name));
  }

  async list<T extends KubeObject>(resource: ResourceName, opts: ListOptions = {}): Promise<ListResult<T>> {
    return this.storage.list<T>(resourcePrefix(resource, opts.namespace), { filter: listFilter(opts) });
  }

  async *listPages<T extends KubeObject>(resource: ResourceName, opts: ListOptions & { pageSize?: number; startAfter?: string; revision?: string; minRevision?: string } = {}): AsyncGenerator<ListPage<T>> {
    const { pageSize, startAfter, revision, minRevision } = opts;
    yield* this.storage.listPages<T>(resourcePrefix(resource, opts.namespace), { filter: listFilter(opts), pageSize, startAfter, revision, minRevision });
  }

  watch<T extends KubeObject>(resource: ResourceName, opts: WatchOptions = {}): Watch<T> {
    return this.storage.watch<T>(resourcePrefix(resource, opts.namespace), {
      afterRevision: versionOrUndefined(opts.resourceVersion),
      filter: listFilter(opts),
      onProgress: opts.onProgress,
      knowsLastState: opts.knowsLastState,
    });
  }

  currentRevision(): Promise<string> {
    return this.storage.currentRevision();
  }

  // ---- update ----------------------------------------------------------------------------------------

  async update<T extends KubeObject>(obj: T, opts: UpdateOptions = {}): Promise<T> {
    if (opts.dryRun) return this.dryRun().update(obj, { ...opts, dryRun: false });
    const strategy = strategyOf(obj);
    return this.write(strategy, obj, opts, (current) => strategy.prepareForUpdate(obj, current));
  }

  async updateStatus<T extends KubeObject>(obj: T, opts: UpdateStatusOptions = {}): Promise<T> {
    if (opts.dryRun) return this.dryRun().updateStatus(obj, { ...opts, dryRun: false });
    const strategy = strategyOf(obj);
    if (!strategy.info.hasStatus) throw new BadRequestError(`${strategy.info.resource} have no status`);
    return this.write(strategy, obj, opts, (current) => strategy.prepareForStatusUpdate(obj, current));
  }

  async updateStatusMany<T extends KubeObject>(updates: readonly StatusUpdate<T>[]): Promise<(T | Error)[]> {
    return this.guardedWrites(updates, ({ obj, cached }) => {
      const strategy = strategyOf(obj);
      if (!strategy.info.hasStatus) throw new BadRequestError(`${strategy.info.resource} have no status`);
      const key = this.keyOf(strategy, obj);
      if (!obj.metadata.resourceVersion || cached.metadata.resourceVersion !== obj.metadata.resourceVersion || this.keyOf(strategy, cached) !== key) {
        throw new BadRequestError(`updateStatusMany: the copy given for ${key} is not that object at its resourceVersion`);
      }
      return { key, current: cached, next: this.prepared(strategy, strategy.prepareForStatusUpdate(obj, cached), cached) as T };
    });
  }

  /**
   * Writes of several objects in one etcd txn (storage.updateMany), each guarded by its copy's
   * revision: `prepare` makes each write or throws the item's own error. One answer per item.
   */
  private async guardedWrites<I, T extends KubeObject>(items: readonly I[], prepare: (item: I) => GuardedWrite<T>): Promise<(T | Error)[]> {
    const results: (T | Error)[] = new Array(items.length);
    const writes: GuardedWrite<T>[] = [];
    const index: number[] = [];
    items.forEach((item, i) => {
      try {
        writes.push(prepare(item));
        index.push(i);
      } catch (err) {
        results[i] = err as Error;
      }
    });
    const written = writes.length > 0 ? this.noted(await this.storage.updateMany(writes)) : [];
    written.forEach((r, j) => (results[index[j]] = r));
    return results;
  }

  /** An update or status update of `obj`: a compare-and-swap on its resourceVersion if it has one. */
  private async write<T extends KubeObject>(strategy: Strategy, obj: T, opts: UpdateOptions, prepare: (current: T) => KubeObject): Promise<T> {
    return this.noted(await this.storage.guaranteedUpdate<T>(this.keyOf(strategy, obj), (current) => this.prepared(strategy, prepare(current), current) as T, {
      expectedVersion: versionOrUndefined(obj.metadata.resourceVersion),
      cached: opts.cached as T | undefined,
    }));
  }

  async guaranteedUpdate<T extends KubeObject>(
    resource: ResourceName,
    namespace: string | undefined,
    name: string,
    fn: (current: T) => T | Promise<T>,
    opts: { subresource?: 'status'; dryRun?: boolean } = {},
  ): Promise<T> {
    if (opts.dryRun) return this.dryRun().guaranteedUpdate(resource, namespace, name, fn, { ...opts, dryRun: false });
    const strategy = strategyFor(resource);
    const updated = await this.storage.guaranteedUpdate<T>(objectKey(resource, namespace, name), async (current) => {
      // fn gets its own copy: the strategy needs the stored object as it was.
      const desired = await fn(structuredClone(current));
      // A resourceVersion in what fn returns is a precondition (a PATCH that names one).
      const sent = desired.metadata?.resourceVersion;
      if (sent !== undefined && sent !== current.metadata.resourceVersion) throw staleVersionError(resource, name, sent, current.metadata.resourceVersion!);
      const next = opts.subresource === 'status' ? strategy.prepareForStatusUpdate(desired, current) : strategy.prepareForUpdate(desired, current);
      return this.prepared(strategy, next, current) as T;
    });
    return this.noted(updated);
  }

  /** What was written (an object, or each answer of a batch), noted if a policy (PolicyReads). */
  private noted<W extends KubeObject | Error | (KubeObject | Error)[]>(written: W): W {
    for (const w of Array.isArray(written) ? written : [written]) if (!(w instanceof Error)) this.policies.noteWrite(w);
    return written;
  }

  /** A prepared update of `current`, validated: the resourceVersion the storage guards on is its business. */
  private prepared(strategy: Strategy, next: KubeObject, current: KubeObject): KubeObject {
    const { resourceVersion: _rv, ...metadata } = next.metadata;
    const out = { ...next, metadata };
    strategy.validateUpdate(out, current);
    return out;
  }

  // ---- delete ----------------------------------------------------------------------------------------

  async delete<T extends KubeObject>(resource: ResourceName, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<T> {
    if (opts.dryRun) return this.dryRun().delete(resource, namespace, name, { ...opts, dryRun: false });
    if (!resourceInfo(resource)) throw new BadRequestError(`unknown resource "${resource}"`);
    if (resource === 'namespaces') return (await deleteNamespace(this.storage, name, () => new Date())) as unknown as T;
    const deleted = this.noted(await this.storage.delete<T>(objectKey(resource, namespace, name), { preconditions: opts.preconditions }));
    // Its quota charge goes back. (A crash before this leaves the charge too high: QuotaRepair lowers it.)
    const usage = usageOf(deleted);
    if (usage && namespace) await creditQuotas(this.storage, namespace, usage, (await this.policies.quotasOf(namespace)).map((q) => q.metadata.name));
    // A crash before this release leaves a marked address with no service: PortalRepair gives it back.
    const portal = resource === 'services' ? (deleted as unknown as Service).spec?.clusterIP : undefined;
    if (this.portals && portal) await this.portals.release(portal);
    const podCIDR = resource === 'minions' ? (deleted as unknown as Minion).spec?.podCIDR : undefined;
    if (this.podCidrs && podCIDR) await this.podCidrs.release(podCIDR);
    return deleted;
  }

  // ---- binding -----------------------------------------------------------------------------------------

  async bind(namespace: string, podName: string, minion: string, expectedResourceVersion: string, cached?: Pod): Promise<void> {
    boundPodsPrefix(minion); // checks the minion name
    const usable = cached && cached.metadata.resourceVersion === expectedResourceVersion && cached.metadata.name === podName && sameNamespace(cached, namespace);
    await this.storage.guaranteedUpdate<Pod>(
      objectKey('pods', namespace, podName),
      (pod) => boundPod(pod, minion),
      { expectedVersion: expectedResourceVersion, cached: usable ? cached : undefined },
    );
  }

  async bindMany(bindings: readonly Binding[]): Promise<(Error | undefined)[]> {
    const results = await this.guardedWrites(bindings, (b) => {
      boundPodsPrefix(b.minion);
      if (!b.pod.metadata.resourceVersion || b.pod.metadata.name !== b.podName || !sameNamespace(b.pod, b.namespace)) {
        throw new BadRequestError(`bindMany: the pod given for ${b.namespace}/${b.podName} is not that pod at a revision`);
      }
      return { key: objectKey('pods', b.namespace, b.podName), current: b.pod, next: boundPod(b.pod, b.minion) };
    });
    return results.map((r) => (r instanceof Error ? r : undefined));
  }

  async listBoundPods(minion: string): Promise<ListResult<Pod>> {
    return this.storage.list<Pod>(boundPodsPrefix(minion));
  }

  watchBoundPods(minion: string, opts: Pick<WatchOptions, 'resourceVersion' | 'onProgress' | 'knowsLastState'> = {}): Watch<Pod> {
    return this.storage.watch<Pod>(boundPodsPrefix(minion), { afterRevision: versionOrUndefined(opts.resourceVersion), onProgress: opts.onProgress, knowsLastState: opts.knowsLastState });
  }

  close(): Promise<void> {
    return this.storage.close();
  }

  // ---- plumbing ----------------------------------------------------------------------------------------

  private keyOf(strategy: Strategy, obj: KubeObject): string {
    return objectKey(strategy.info.resource, obj.metadata.namespace, obj.metadata.name);
  }

  private randomSuffix(): string {
    let s = '';
    for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(this.random() * NAME_CHARS.length) % NAME_CHARS.length];
    return s;
  }
}

function sameNamespace(pod: Pod, namespace: string): boolean {
  return effectiveNamespace('pods', pod.metadata.namespace) === effectiveNamespace('pods', namespace);
}

/** "" and "0" mean "any version" (a list or watch from now); anything else is a revision. */
function versionOrUndefined(rv: string | undefined): string | undefined {
  return rv === undefined || rv === '' || rv === '0' ? undefined : rv;
}

/** RFC 3339 in UTC at second precision, as Kubernetes writes timestamps. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
