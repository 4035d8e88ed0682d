// The endpoints controller: for each service, an Endpoints object of the same name listing the
// Running pods it selects (ready ones in `addresses`, the others in `notReadyAddresses`).
// reconcile(serviceKey) computes the subsets from the caches and writes only when they differ;
// the Endpoints go when the service goes.
import { Clock, deepEqual, Endpoints, metaNamespaceKey, NotFoundError, ObjectStore, Pod, realClock, Service, splitMetaNamespaceKey } from '@coxswain/objects';
import { createLogger, Logger } from '@coxswain/process';
import { Controller } from '@coxswain/client';
import { buildSubsets } from './endpoints-builder';
import { selectorMatches } from './labels';
import { CacheReader, Handlers, INDEX } from './object-cache';

export interface EndpointsControllerOptions {
  store: ObjectStore;
  pods: CacheReader<Pod>;
  services: CacheReader<Service>;
  endpoints: CacheReader<Endpoints>;
  workers?: number;
  clock?: Clock;
  logger?: Logger;
}

export class EndpointsController {
  readonly controller: Controller;
  readonly serviceHandlers: Handlers<Service>;
  /** Endpoints nobody's service owns (edited or left behind) are checked too. */
  readonly endpointsHandlers: Handlers<Endpoints>;
  private readonly opts: EndpointsControllerOptions;

  constructor(opts: EndpointsControllerOptions) {
    this.opts = opts;
    const log = opts.logger ?? createLogger('endpoints-controller');
    this.controller = new Controller({ name: 'endpoints-controller', reconcile: (k) => this.reconcile(k), workers: opts.workers ?? 4, clock: opts.clock ?? realClock, logger: log });
    this.serviceHandlers = this.controller.enqueueHandlers<Service>();
    this.endpointsHandlers = this.controller.enqueueHandlers<Endpoints>();
  }

  readonly podHandlers: Handlers<Pod> = {
    onAdd: (p) => this.enqueueServicesOf(p),
    onUpdate: (old, p) => {
      this.enqueueServicesOf(p);
      if (!deepEqual(old.metadata.labels, p.metadata.labels)) this.enqueueServicesOf(old);
    },
    onDelete: (p) => this.enqueueServicesOf(p),
  };

  start(): void {
    this.controller.start();
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private enqueueServicesOf(pod: Pod): void {
    for (const svc of this.opts.services.byIndex(INDEX.namespace, pod.metadata.namespace ?? '')) {
      if (selectorMatches(svc.spec.selector, pod.metadata.labels)) this.controller.enqueue(metaNamespaceKey(svc));
    }
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const svc = this.opts.services.get(key);
    const current = this.opts.endpoints.get(key);
    if (!svc) {
      if (!current) return;
      try {
        await this.opts.store.delete('endpoints', namespace, name);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      return;
    }
    // A service without a selector has hand-written endpoints: leave them alone.
    if (!svc.spec.selector || Object.keys(svc.spec.selector).length === 0) return;
    const subsets = buildSubsets(svc, this.opts.pods.byIndex(INDEX.namespace, namespace));
    if (current && deepEqual(current.subsets ?? [], subsets)) return;
    const labels = svc.metadata.labels;
    // A ConflictError or AlreadyExistsError means our cache is behind: the error requeues the key, and
    // the informer's newer copy is what the retry compares against.
    if (current) {
      await this.opts.store.update<Endpoints>({ ...current, metadata: { ...current.metadata, labels }, subsets });
    } else {
      await this.opts.store.create<Endpoints>({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, ...(labels ? { labels } : {}) }, subsets });
    }
  }
}
