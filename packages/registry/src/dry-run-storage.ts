// Storage for dryRun=All: reads go to the real storage, writes compute their answer and store
// nothing. The registry runs its usual path (strategy, defaults, validation, preconditions) on top
// of it, so a dry run answers what the write would answer, with the write's errors, and etcd stays
// as it was. The answer keeps the current resourceVersion (a create's has none: nothing was stored).
import { AlreadyExistsError, ConflictError, NotFoundError, resourceForKind } from '@coxswain/objects';
import type { GuaranteedUpdateOptions, GuardedWrite, KubeObject, ListPage, ListPagesOptions, ListResult, Preconditions, Storage, StorageCreateOptions, StorageListOptions, Watch, StorageWatchOptions } from '@coxswain/objects';

export class DryRunStorage implements Storage {
  constructor(private readonly real: Storage) {}

  get leases() {
    return this.real.leases;
  }

  async create<T extends KubeObject>(key: string, obj: T, _opts?: StorageCreateOptions): Promise<T> {
    if (await this.exists(key)) throw new AlreadyExistsError(resourceForKind(obj.kind)?.resource ?? obj.kind, obj.metadata.name ?? key);
    return obj;
  }

  async createMany<T extends KubeObject>(entries: readonly { key: string; obj: T }[]): Promise<(T | Error)[]> {
    return Promise.all(entries.map(({ key, obj }) => this.create(key, obj).catch((e: Error) => e)));
  }

  get<T extends KubeObject>(key: string): Promise<T> {
    return this.real.get<T>(key);
  }

  list<T extends KubeObject>(prefix: string, opts?: StorageListOptions): Promise<ListResult<T>> {
    return this.real.list<T>(prefix, opts);
  }

  listPages<T extends KubeObject>(prefix: string, opts?: ListPagesOptions): AsyncGenerator<ListPage<T>> {
    return this.real.listPages<T>(prefix, opts);
  }

  async guaranteedUpdate<T extends KubeObject>(key: string, tryUpdate: (current: T) => T | Promise<T>, opts: GuaranteedUpdateOptions<T> = {}): Promise<T> {
    const current = await this.real.get<T>(key);
    this.checkVersion(current, opts.expectedVersion);
    const next = await tryUpdate(structuredClone(current));
    return { ...next, metadata: { ...next.metadata, resourceVersion: current.metadata.resourceVersion } };
  }

  async updateMany<T extends KubeObject>(writes: readonly GuardedWrite<T>[]): Promise<(T | Error)[]> {
    return Promise.all(
      writes.map(async (w) => {
        try {
          const current = await this.real.get<T>(w.key);
          this.checkVersion(current, w.current.metadata.resourceVersion);
          return { ...w.next, metadata: { ...w.next.metadata, resourceVersion: current.metadata.resourceVersion } };
        } catch (e) {
          return e as Error;
        }
      }),
    );
  }

  async delete<T extends KubeObject>(key: string, opts: { preconditions?: Preconditions } = {}): Promise<T> {
    const current = await this.real.get<T>(key);
    this.checkVersion(current, opts.preconditions?.resourceVersion);
    if (opts.preconditions?.uid !== undefined && opts.preconditions.uid !== current.metadata.uid) {
      throw new ConflictError(this.resourceOf(current), current.metadata.name ?? key, `the UID in the precondition (${opts.preconditions.uid}) does not match the object's (${current.metadata.uid})`);
    }
    return current;
  }

  watch<T extends KubeObject>(prefix: string, opts?: StorageWatchOptions): Watch<T> {
    return this.real.watch<T>(prefix, opts);
  }

  currentRevision(): Promise<string> {
    return this.real.currentRevision();
  }

  /** The real storage belongs to its owner: a dry run never closes it. */
  async close(): Promise<void> {}

  private async exists(key: string): Promise<boolean> {
    try {
      await this.real.get(key);
      return true;
    } catch (e) {
      if (e instanceof NotFoundError) return false;
      throw e;
    }
  }

  private checkVersion(current: KubeObject, expected: string | undefined): void {
    if (expected !== undefined && expected !== current.metadata.resourceVersion) {
      throw new ConflictError(this.resourceOf(current), current.metadata.name ?? '', 'the object has been modified; please apply your changes to the latest version and try again');
    }
  }

  private resourceOf(obj: KubeObject): string {
    return resourceForKind(obj.kind)?.resource ?? obj.kind;
  }
}
