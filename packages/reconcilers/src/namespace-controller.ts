// The namespace controller: empties a namespace that is being deleted, then removes it. A delete
// marks a namespace Terminating (registry/namespace-lifecycle.ts); this deletes every object in it —
// the controllers first (Deployments, autoscalers, replication controllers), so that nothing makes
// new pods meanwhile — and deletes the namespace again, which removes it once it is empty. Whatever
// lands in it meanwhile (a kubelet's last event) is caught on the next look.
import { Controller } from '@coxswain/client';
import { NotFoundError, RESOURCES } from '@coxswain/objects';
import type { KubeObject, ObjectStore, ResourceName } from '@coxswain/objects';
import type { Logger } from '@coxswain/process';
import { isTerminating } from '@coxswain/registry';
import type { CacheReader } from './object-cache';

export interface NamespaceControllerOptions {
  store: ObjectStore;
  namespaces: CacheReader<KubeObject>;
  /** How soon to look again at a namespace that was not empty yet. Default 1 s. */
  retryMs?: number;
  logger?: Logger;
}

/** What goes first: whatever creates other objects. */
const CREATORS: readonly ResourceName[] = ['deployments', 'horizontalpodautoscalers', 'replicationControllers'];

const deletionOrder = (): ResourceName[] => [
  ...CREATORS,
  ...RESOURCES.filter((r) => r.namespaced && !CREATORS.includes(r.resource)).map((r) => r.resource),
];

export class NamespaceController {
  readonly controller: Controller;

  constructor(private readonly o: NamespaceControllerOptions) {
    this.controller = new Controller({ name: 'namespace-controller', reconcile: (name) => this.reconcile(name), logger: o.logger });
  }

  private async reconcile(name: string): Promise<{ requeueAfterMs: number } | void> {
    const ns = this.o.namespaces.get(name);
    if (!ns || !isTerminating(ns)) return;
    let deleted = 0;
    for (const resource of deletionOrder()) {
      for (const obj of (await this.o.store.list<KubeObject>(resource, { namespace: name })).items) {
        try {
          await this.o.store.delete(resource, name, obj.metadata.name);
          deleted++;
        } catch (e) {
          if (!(e instanceof NotFoundError)) throw e;
        }
      }
    }
    try {
      await this.o.store.delete('namespaces', undefined, name);
      await this.o.store.get('namespaces', undefined, name);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      this.o.logger?.info({ namespace: name, deleted }, 'namespace removed');
      return;
    }
    // Still there: something was written into it meanwhile.
    return { requeueAfterMs: this.o.retryMs ?? 1000 };
  }

  start(): void {
    this.controller.start();
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }
}
