// The contract of the object store (implemented by EtcdStore in store.ts). Everything above the
// store — the API server, reconcilers, kubelets — talks to it through this interface.
import type { KubeObject, Pod } from './types';
import type { ResourceName } from './resources';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  /** For DELETED: the object as it was last stored, with resourceVersion set to the deletion revision. */
  object: T;
  /** The etcd revision of this change, as a decimal string. */
  revision: string;
  /** The storage key changed (set by the Storage implementations; the watch cache files changes by it). */
  key?: string;
}

export interface ListOptions {
  /** Omit for all namespaces (or for cluster-scoped kinds). */
  namespace?: string;
  /** A label selector string (`a=b,c!=d,e in (x,y),!f`). */
  labelSelector?: string;
  /** Field selector; only `spec.nodeName=X` / `metadata.name=X` style equality is supported. */
  fieldSelector?: string;
}

export interface UpdateOptions {
  /** dryRun=All: the registry's whole path (strategy, validation, preconditions), nothing written. */
  dryRun?: boolean;
  /**
   * The stored object at the update's resourceVersion (an informer's copy): write without reading
   * first, one round trip instead of two. Wrong use cannot lose an update (the compare-and-swap
   * still guards the write); a stale copy gets the same ConflictError as ever.
   */
  cached?: KubeObject;
}

export type UpdateStatusOptions = UpdateOptions;

export interface ListResult<T> {
  items: T[];
  /** The etcd revision the list was read at; a watch from here misses nothing. */
  resourceVersion: string;
}

/** An object of a paged list: identity known up front, body decoded on first `object()`. */
export interface LazyItem<T> {
  /** The storage key (set by the Storage implementations; the watch cache files objects by it). */
  key?: string;
  namespace: string | undefined;
  name: string;
  resourceVersion: string;
  object(): T;
  /**
   * The object itself when the storage keeps it in memory, frozen and shared by every reader (the
   * watch cache): what is derived from it can be kept with it.
   */
  shared?: T;
}

export interface ListPage<T> {
  items: LazyItem<T>[];
  /** The revision every page is read at. */
  resourceVersion: string;
}

export interface WatchOptions extends ListOptions {
  /**
   * Deliver every change after this revision (exclusive). Omit to start from "now".
   * A compacted revision makes the watch fail with ExpiredError.
   */
  resourceVersion?: string;
  /**
   * Called on each progress notification (heartbeats/bookmarks) with a revision every change up to which
   * has been delivered by this watch, so resuming from it misses nothing (not etcd's header revision).
   */
  onProgress?: (revision: string) => void;
  /**
   * The caller keeps the last state of every object it has been told of (an informer, the watch
   * cache): a DELETED event may then carry only the object's identity (metadata name, namespace and
   * resourceVersion), and etcd is spared reading each event's previous value for this watch (with
   * etcd 3.4 a read transaction per event per watcher, a fifth of its CPU at 150,000 pods). Ignored
   * with a filter, which needs the previous value to tell an object that stopped matching.
   */
  knowsLastState?: boolean;
}

/** A running watch: async-iterate the events; `close()` ends it; errors (ExpiredError, UnavailableError) end the iteration by throwing. */
export interface Watch<T extends KubeObject = KubeObject> extends AsyncIterable<WatchEvent<T>> {
  close(): void;
}

export interface DeleteOptions {
  /** dryRun=All: the registry's whole path (strategy, validation, preconditions), nothing written. */
  dryRun?: boolean;
  preconditions?: { resourceVersion?: string; uid?: string };
}

export interface CreateOptions {
  /** dryRun=All: the registry's whole path (strategy, validation, preconditions), nothing written. */
  dryRun?: boolean;
  /** Attach the key to an etcd lease of this many seconds (events expire this way). */
  ttlSeconds?: number;
}

/** One binding for ObjectStore.bindMany: `pod` is the caller's copy at the revision to bind. */
export interface Binding {
  namespace: string;
  podName: string;
  minion: string;
  pod: Pod;
}

/** One status update for ObjectStore.updateStatusMany: `obj` carries the new status; `cached` is the caller's copy at obj's resourceVersion. */
export interface StatusUpdate<T extends KubeObject = KubeObject> {
  obj: T;
  cached: T;
}

export interface ObjectStore {
  /**
   * Creates the object as its kind's rules say (system metadata set, initial status, validated); a
   * name from metadata.generateName if it has none. AlreadyExistsError when the name is taken.
   */
  create<T extends KubeObject>(obj: T, opts?: CreateOptions): Promise<T>;
  /**
   * Several creates in one etcd transaction (as create() each, guarded by "the key does not exist").
   * One entry per object: the created object (resourceVersion = the txn's revision) or its own error
   * (InvalidError, AlreadyExistsError, ...). If any name is taken, each object is created alone, so
   * the answers are exact. Objects beyond etcd's 128 ops per txn go in further transactions.
   */
  createMany<T extends KubeObject>(objs: readonly T[], opts?: CreateOptions): Promise<(T | Error)[]>;
  get<T extends KubeObject>(resource: ResourceName, namespace: string | undefined, name: string): Promise<T>;
  list<T extends KubeObject>(resource: ResourceName, opts?: ListOptions): Promise<ListResult<T>>;
  /** The same objects as list(), in pages read at one revision, decoded lazily (for streaming big lists). */
  listPages<T extends KubeObject>(resource: ResourceName, opts?: ListOptions & { pageSize?: number; startAfter?: string; revision?: string; minRevision?: string }): AsyncGenerator<ListPage<T>>;
  /**
   * Spec and metadata update; keeps the stored status and what may not change (identity, a pod's
   * nodeName: InvalidError). With obj.metadata.resourceVersion, a compare-and-swap (ConflictError
   * when stale); without, applied to the current object (retried on a lost race).
   */
  update<T extends KubeObject>(obj: T, opts?: UpdateOptions): Promise<T>;
  /** Status update; keeps the stored spec and metadata. resourceVersion as for update(). */
  updateStatus<T extends KubeObject>(obj: T, opts?: UpdateStatusOptions): Promise<T>;
  /**
   * Several status updates in one etcd transaction, each as updateStatus() with a cached copy (a
   * compare-and-swap on `cached`'s resourceVersion, written from it without a read). If any object
   * changed meanwhile, each is tried alone, so the answers are exact: one entry per update, the saved
   * object or its own error (ConflictError, NotFoundError, InvalidError, ...). Objects beyond etcd's
   * 128 ops per txn go in further transactions.
   */
  updateStatusMany<T extends KubeObject>(updates: readonly StatusUpdate<T>[]): Promise<(T | Error)[]>;
  /**
   * Read-modify-write with retry on conflict. `fn` gets a private copy of the current object and
   * returns the object to write, which is then written as update() writes (or, with subresource
   * 'status', as updateStatus()); nothing is written when nothing changed.
   */
  guaranteedUpdate<T extends KubeObject>(
    resource: ResourceName,
    namespace: string | undefined,
    name: string,
    fn: (current: T) => T | Promise<T>,
    opts?: { subresource?: 'status'; dryRun?: boolean },
  ): Promise<T>;
  delete<T extends KubeObject>(resource: ResourceName, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<T>;
  watch<T extends KubeObject>(resource: ResourceName, opts?: WatchOptions): Watch<T>;
  /**
   * Binds a pod to a minion in one etcd transaction: the pod's spec.nodeName (guarded by its
   * resourceVersion) and the minion's bound-pod key. ConflictError if the pod changed or is bound.
   * `cached`: the caller's copy of the pod at expectedResourceVersion (e.g. from an informer); when
   * given, the store writes from it without reading the pod first (one etcd round trip, not two).
   */
  bind(namespace: string, podName: string, minion: string, expectedResourceVersion: string, cached?: Pod): Promise<void>;
  /**
   * Several bindings in one etcd transaction (each guarded by its pod's revision, as bind() with a
   * cached copy). If any pod changed meanwhile, each binding is tried alone instead, so the answer
   * is exact: one entry per binding, undefined when bound, the error (ConflictError, NotFoundError,
   * ...) otherwise. Keep batches within etcd's --max-txn-ops (128 ops: 2 per binding).
   */
  bindMany(bindings: readonly Binding[]): Promise<(Error | undefined)[]>;
  /** The pods bound to one minion, read from its bound-pod keys (what a kubelet lists). */
  listBoundPods(minion: string): Promise<ListResult<Pod>>;
  /** Watches one minion's bound-pod keys only (what a kubelet watches). */
  watchBoundPods(minion: string, opts?: Pick<WatchOptions, 'resourceVersion' | 'onProgress' | 'knowsLastState'>): Watch<Pod>;
  /** The current etcd revision. */
  currentRevision(): Promise<string>;
  close(): Promise<void>;
}
