// The Services whose variables a container gets, read from one informer over every namespace instead
// of a LIST of the namespace's services at each container start (Kubernetes' kubelet reads them from
// its service lister the same way). At a density's pace that LIST was a third of a kubelet's etcd
// round trips per pod, and a range etcd served for every pod.
//
// Kubelets on one store share the informer: a hollow process runs hundreds of kubelets on one etcd
// connection, and one watch serves them all. It runs from the first kubelet's start to the last one's
// stop.
import { Informer } from '@coxswain/client';
import { withTimeout, type Clock, type ObjectStore, type Service } from '@coxswain/objects';
import type { Logger } from '@coxswain/process';

/**
 * How long a container start waits for the first list of services before it fails for now (and is
 * retried as a container whose config is missing): long enough for a kubelet that has just started.
 */
const FIRST_LIST_WAIT_MS = 5_000;

const NAMESPACE_INDEX = 'namespace';

export interface ServiceCacheOptions {
  store: ObjectStore;
  clock: Clock;
  logger: Logger;
}

export class ServiceCache {
  private informer?: Informer<Service>;
  private users = 0;

  constructor(private readonly o: ServiceCacheOptions) {}

  /** A kubelet starts using the cache (the first one starts its informer); call what it returns once done. */
  acquire(): () => Promise<void> {
    let released = false;
    const release = () => {
      if (released) return Promise.resolve();
      released = true;
      return this.release();
    };
    if (this.users++ > 0) return release;
    const informer = new Informer<Service>({ store: this.o.store, resource: 'services', clock: this.o.clock, logger: this.o.logger, name: 'kubelet-services' });
    informer.addIndex(NAMESPACE_INDEX, (s) => [s.metadata.namespace ?? '']);
    this.informer = informer.start();
    return release;
  }

  /** The last user gone stops the informer. */
  private async release(): Promise<void> {
    if (--this.users > 0) return;
    const informer = this.informer;
    this.informer = undefined;
    await informer?.stop();
  }

  /** The services of a namespace; throws while the first list of services has not succeeded. */
  async list(namespace: string): Promise<Service[]> {
    const informer = this.informer;
    if (!informer) throw new Error('the kubelet is not running');
    if (!informer.hasSynced()) {
      const synced = await withTimeout(informer.waitForSync(), FIRST_LIST_WAIT_MS, 'timed out', this.o.clock).catch(() => false);
      if (!synced) throw new Error('services have not yet been read at least once');
    }
    return informer.byIndex(NAMESPACE_INDEX, namespace);
  }
}

const shared = new WeakMap<ObjectStore, ServiceCache>();

/** The service cache of every kubelet on `store` (made with the first kubelet's clock and logger). */
export function sharedServiceCache(o: ServiceCacheOptions): ServiceCache {
  let cache = shared.get(o.store);
  if (!cache) shared.set(o.store, (cache = new ServiceCache(o)));
  return cache;
}
