// The contract of the storage layer (@coxswain/store implements it): versioned JSON objects under string keys, kind-agnostic (the
// registry above it knows kinds, keys and rules). Two implementations keep it: EtcdStorage (etcd,
// for the cluster and integration tests) and MemoryStorage (for unit tests and hollow benchmarks),
// proved alike by one contract suite (storage-contract.ts).
//
// What every implementation guarantees:
// - A revision is a decimal string that grows with every write to the store (etcd's revision). Each
//   object read back carries the revision it was last written at in metadata.resourceVersion; the
//   stored bytes never hold one.
// - Every write is atomic and conditional: create only if the key is absent, update only if the key
//   is still at the revision the caller read (else ConflictError, or a retry in guaranteedUpdate).
//   Concurrent writers never lose an update.
// - A write that would store exactly what is stored is skipped (no new revision, no watch event).
// - Mirrors: a key kept in step with an object in the same atomic write (a pod's bound-pod copy
//   under its minion), configured once; callers never write mirror keys themselves. Objects under a
//   mirror's prefix cannot be put on a lease (BadRequestError): a lease would end the object alone.
// - Errors (from @coxswain/objects): NotFoundError, AlreadyExistsError, ConflictError, ExpiredError
//   (a watch or paged list from a compacted revision), UnavailableError (the backend cannot be
//   reached; nothing, or everything, was written). They name the object by its key's segments:
//   the resource is the segment after the root ("/registry/<resource>/..."), the name the last one.
import type { KubeObject } from './types';
import type { ListResult, ListPage, Watch } from './object-store';

/** Decides which objects a list or watch yields (label and field selectors, compiled by the caller). */
export interface ObjectFilter {
  matches(obj: KubeObject): boolean;
  /**
   * A cheap necessary condition on the stored JSON bytes (e.g. "holds the wanted label value"), so
   * that a list skips most non-matching objects without decoding them. False only if matches() would be.
   */
  mayMatchJson?(json: Uint8Array): boolean;
}

/**
 * A key kept in step with the objects under `prefix`: whenever such an object is created, updated
 * or deleted, its mirror key (if any, before and after) is put or deleted in the same atomic write.
 * A mirror value that would not change is not rewritten.
 */
export interface Mirror {
  /** Objects whose key starts with this are mirrored. */
  prefix: string;
  /** The mirror key of this object, or undefined when it has none (an unbound pod). */
  keyFor(obj: KubeObject): string | undefined;
  /** What the mirror key holds for this object. */
  valueFor(obj: KubeObject): KubeObject;
}

export interface StorageCreateOptions {
  /** The key expires this many seconds after its creation (events). Objects may share a lease. */
  ttlSeconds?: number;
  /** Attach the key to this lease (from Leases.grant): it is deleted when the lease ends. */
  lease?: string;
}

export interface ListPagesOptions {
  filter?: ObjectFilter;
  pageSize?: number;
  /** Resume after this key (a list continued from where a limited one stopped). */
  startAfter?: string;
  /** Read at this revision, not the newest (the continued list's); compacted: ExpiredError. */
  revision?: string;
  /**
   * Any state at or after this revision will do (resourceVersion=0 or NotOlderThan): a watch cache
   * may answer from memory without asking the backend how new it is. Backends without one read the newest.
   */
  minRevision?: string;
}

/** What list() takes: a filter, and a revision any newer state will do for (as in ListPagesOptions). */
export type StorageListOptions = Pick<ListPagesOptions, 'filter' | 'minRevision'>;

export interface Preconditions {
  resourceVersion?: string;
  uid?: string;
}

export interface GuaranteedUpdateOptions<T> {
  /** Write only if the stored object is at this revision: ConflictError otherwise, no retry. */
  expectedVersion?: string;
  /**
   * The caller's copy of the object at expectedVersion (an informer's): update it without reading
   * first, one round trip instead of two. A stale copy gets the same ConflictError as ever.
   */
  cached?: T;
  /**
   * A copy that is probably the stored object (the API server's watch cache), for an update without
   * expectedVersion: the first attempt writes from it guarded by its resourceVersion instead of
   * reading first (one round trip instead of two); when it was stale, or tryUpdate refuses it, the
   * stored object is read and the update goes on as without it. Backends may ignore it.
   */
  hint?: T;
}

export interface StorageDeleteOptions<T = KubeObject> {
  preconditions?: Preconditions;
  /** As GuaranteedUpdateOptions.hint: a probably-current copy that saves the read before a guarded delete. */
  hint?: T;
}

/** One conditional write of updateMany: `current` at its resourceVersion, to become `next`. */
export interface GuardedWrite<T extends KubeObject = KubeObject> {
  key: string;
  current: T;
  next: T;
}

export interface StorageWatchOptions {
  /** Deliver every change after this revision (exclusive); omit for "from now". */
  afterRevision?: string;
  filter?: ObjectFilter;
  /**
   * Called now and then with a revision up to which every change has been delivered, so resuming a
   * watch from it misses nothing (bookmarks).
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

export interface Storage {
  /** Stores `obj` under `key` if the key is absent (AlreadyExistsError otherwise). */
  create<T extends KubeObject>(key: string, obj: T, opts?: StorageCreateOptions): Promise<T>;
  /**
   * Several creates in as few atomic writes as the backend allows. One entry per object: the created
   * object or its own error; if any key is taken, each object is created alone, so the answers are exact.
   */
  createMany<T extends KubeObject>(entries: readonly { key: string; obj: T }[], opts?: StorageCreateOptions): Promise<(T | Error)[]>;
  get<T extends KubeObject>(key: string): Promise<T>;
  /** Every object under `prefix`, in key order, at one revision (any at or after `minRevision` when given: ListPagesOptions). */
  list<T extends KubeObject>(prefix: string, opts?: StorageListOptions): Promise<ListResult<T>>;
  /** What list() returns, in pages read at one revision and decoded lazily (for streaming big lists). */
  listPages<T extends KubeObject>(prefix: string, opts?: ListPagesOptions): AsyncGenerator<ListPage<T>>;
  /**
   * Read-modify-write: `tryUpdate` gets a private copy of the stored object and returns the object
   * to store (it may throw to abort). On a lost race it runs again on the newer object, unless
   * `expectedVersion` was given. Returns the stored object (the current one when nothing changed).
   */
  guaranteedUpdate<T extends KubeObject>(key: string, tryUpdate: (current: T) => T | Promise<T>, opts?: GuaranteedUpdateOptions<T>): Promise<T>;
  /**
   * Several conditional writes, each guarded by its `current` object's resourceVersion, in as few
   * atomic writes as the backend allows. If any is stale, each is tried alone, so the answers are
   * exact: one entry per write, the stored object or its error (ConflictError, NotFoundError, ...).
   */
  updateMany<T extends KubeObject>(writes: readonly GuardedWrite<T>[]): Promise<(T | Error)[]>;
  /** Deletes the object (and its mirror). Returns it as it was, resourceVersion = the deletion's revision. */
  delete<T extends KubeObject>(key: string, opts?: StorageDeleteOptions<T>): Promise<T>;
  /** Changes under `prefix` after a revision. A compacted revision fails the watch with ExpiredError. */
  watch<T extends KubeObject>(prefix: string, opts?: StorageWatchOptions): Watch<T>;
  /** The store's current revision. */
  currentRevision(): Promise<string>;
  /**
   * Drops the history at and below `revision` (etcd's compaction): a watch or a list at an older
   * revision then fails with ExpiredError. Optional: the API server's compactor uses it when present.
   */
  compact?(revision: string): Promise<void> | void;
  /** The database's size (etcd's Maintenance.Status of the member that answered). Optional: the API server's quota check uses it when present. */
  dbStatus?(): Promise<StorageDbStatus>;
  readonly leases: Leases;
  /** Ends every watch; further calls fail with UnavailableError. */
  close(): Promise<void>;
}

/** Time-bound ownership: keys attached to a lease disappear when it is revoked or not kept alive. */
export interface Leases {
  /** A new lease of `ttlSeconds`; returns its id. */
  grant(ttlSeconds: number): Promise<string>;
  /** Renews the lease for its full TTL. NotFoundError when it has already expired or been revoked. */
  keepAlive(id: string): Promise<void>;
  /** Ends the lease now, deleting every key attached to it. A lease already gone is not an error. */
  revoke(id: string): Promise<void>;
  /** The lease's granted TTL and the seconds left of it, or undefined when it has expired or been revoked. */
  timeToLive(id: string): Promise<{ grantedSeconds: number; remainingSeconds: number } | undefined>;
}

/** What the backend's database occupies: etcd's quota (--quota-backend-bytes) counts `dbSizeBytes`. */
export interface StorageDbStatus {
  /** The database file's size, free pages included (a defragment returns those to the disk). */
  dbSizeBytes: number;
  /** The part holding data; the rest is free pages left by compaction, reused by new writes. */
  dbSizeInUseBytes: number;
}
