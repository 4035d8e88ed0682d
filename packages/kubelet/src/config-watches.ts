// The ConfigMaps and Secrets of this kubelet's pods, watched instead of read on every sync: one
// informer per kind and namespace that some pod here references, shared by all of them, stopped when
// the last such pod goes. A change to a referenced object queues the pods that reference it, so a
// mounted file follows within one sync (Kubernetes' watch-based ConfigMap and Secret managers).
//
// Per namespace rather than per object: one watch serves every pod of a namespace, and a pod that
// names a second object of a namespace already watched needs no new watch. The kubelet already
// reads etcd directly, so caching a namespace's other Secrets here widens nothing.
import { Informer } from '@coxswain/client';
import type { Clock, ConfigMap, KubeObject, ObjectStore, Pod, Secret } from '@coxswain/objects';
import { metaNamespaceKey, NotFoundError } from '@coxswain/objects';
import type { Logger } from '@coxswain/process';
import type { ConfigSources } from './config-sources';

type Resource = 'configmaps' | 'secrets';

export interface ConfigWatchesOptions {
  store: ObjectStore;
  /** A pod referencing this object must be synced again (the object was added, changed or deleted). */
  onChange(podKey: string): void;
  clock?: Clock;
  logger?: Logger;
}

/** `configmaps/<ns>/<name>`: a reference, and the key of the watch it needs (its first two parts). */
const refKey = (resource: Resource, namespace: string, name: string) => `${resource}/${namespace}/${name}`;
const watchKey = (ref: string) => ref.slice(0, ref.lastIndexOf('/'));

/** Every ConfigMap and Secret a pod's volumes and containers' env name. */
export function configReferences(pod: Pod): Set<string> {
  const ns = pod.metadata.namespace ?? 'default';
  const refs = new Set<string>();
  for (const v of pod.spec.volumes ?? []) {
    if (v.configMap) refs.add(refKey('configmaps', ns, v.configMap.name));
    if (v.secret) refs.add(refKey('secrets', ns, v.secret.secretName));
  }
  for (const c of pod.spec.containers) {
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef) refs.add(refKey('configmaps', ns, from.configMapRef.name));
      if (from.secretRef) refs.add(refKey('secrets', ns, from.secretRef.name));
    }
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef) refs.add(refKey('configmaps', ns, e.valueFrom.configMapKeyRef.name));
      if (e.valueFrom?.secretKeyRef) refs.add(refKey('secrets', ns, e.valueFrom.secretKeyRef.name));
    }
  }
  return refs;
}

export class ConfigWatches implements ConfigSources {
  /** Pod key → the objects it references. */
  private readonly podRefs = new Map<string, Set<string>>();
  /** `<resource>/<ns>` → its informer. */
  private readonly informers = new Map<string, Informer<KubeObject>>();

  constructor(private readonly o: ConfigWatchesOptions) {}

  /**
   * Records what the pod references now, starting the watches it needs (resolves once they have
   * listed) and stopping those no pod here needs any more. `undefined`: the pod is gone.
   */
  async track(podKey: string, pod: Pod | undefined): Promise<void> {
    const refs = pod ? configReferences(pod) : new Set<string>();
    if (refs.size) this.podRefs.set(podKey, refs);
    else this.podRefs.delete(podKey);
    const needed = this.neededWatches();
    const stopping = [...this.informers.keys()].filter((w) => !needed.has(w));
    for (const w of stopping) {
      void this.informers.get(w)!.stop();
      this.informers.delete(w);
    }
    await Promise.all([...new Set([...refs].map(watchKey))].map((w) => this.informerFor(w).waitForSync()));
  }

  configMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return this.read<ConfigMap>('configmaps', namespace, name);
  }

  secret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.read<Secret>('secrets', namespace, name);
  }

  /** The watches running now (`<resource>/<namespace>`), for tests and /healthz. */
  watches(): string[] {
    return [...this.informers.keys()].sort();
  }

  async stop(): Promise<void> {
    const all = [...this.informers.values()];
    this.informers.clear();
    await Promise.all(all.map((i) => i.stop()));
  }

  private async read<T extends KubeObject>(resource: Resource, namespace: string, name: string): Promise<T | undefined> {
    const informer = this.informers.get(`${resource}/${namespace}`);
    // Every sync tracks its pod first, so this is there; a read outside a sync asks the store once.
    if (!informer || !(await informer.waitForSync())) {
      return this.o.store.get<T>(resource, namespace, name).catch((e) => {
        if (e instanceof NotFoundError) return undefined;
        throw e;
      });
    }
    return informer.get(metaNamespaceKey(namespace, name)) as T | undefined;
  }

  private neededWatches(): Set<string> {
    const out = new Set<string>();
    for (const refs of this.podRefs.values()) for (const r of refs) out.add(watchKey(r));
    return out;
  }

  private informerFor(watch: string): Informer<KubeObject> {
    const existing = this.informers.get(watch);
    if (existing) return existing;
    const [resource, namespace] = watch.split('/') as [Resource, string];
    const informer = new Informer<KubeObject>({ store: this.o.store, resource, namespace, clock: this.o.clock, logger: this.o.logger, name: `kubelet-${watch}` });
    const changed = (obj: KubeObject) => {
      const ref = refKey(resource, namespace, obj.metadata.name);
      for (const [pod, refs] of this.podRefs) if (refs.has(ref)) this.o.onChange(pod);
    };
    informer.addEventHandler({ onAdd: changed, onUpdate: (_, obj) => changed(obj), onDelete: changed });
    this.informers.set(watch, informer.start());
    return informer;
  }
}
