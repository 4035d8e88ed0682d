// What a reconciler reads: an informer's cache (get by key, list, look up by a named index) and the
// handlers it registers on it. The store's Informer satisfies this; tests can fill a MapCache.
import { metaNamespaceKey, type KubeObject } from '@coxswain/objects';
import { hasController, rcOwner } from './owner-refs';

export interface CacheReader<T extends KubeObject> {
  get(key: string): T | undefined;
  list(): T[];
  /** Objects whose index `name` has the value (e.g. pods by namespace or by minion). */
  byIndex(name: string, value: string): T[];
}

export interface Handlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

/** Index functions every reconciler uses (an informer registers them by these names). */
export const INDEX = {
  namespace: 'namespace',
  nodeName: 'nodeName',
  /** Objects by the uid of each of their controller owner refs: a controller's own objects. */
  controllerUid: 'controllerUid',
  /** Objects by `namespace/name` of their replication controller owner ref (the uid may be stale). */
  rcController: 'rcController',
  /** Pods with no controller, by each label (labelPairKey): the candidates for adoption. */
  orphanLabel: 'orphanLabel',
  /** Objects with a non-empty `spec.selector`, by its first key in sorted order (labelPairKey). */
  selectorKey: 'selectorKey',
} as const;

/** The index value of one label `key=value` in a namespace (NUL cannot occur in either). */
export function labelPairKey(namespace: string | undefined, key: string, value: string): string {
  return `${namespace ?? ''}\0${key}\0${value}`;
}

export const indexers = {
  [INDEX.namespace]: (o: KubeObject): string[] => [o.metadata.namespace ?? ''],
  [INDEX.nodeName]: (o: KubeObject): string[] => {
    const n = (o.spec as { nodeName?: string } | undefined)?.nodeName;
    return n ? [n] : [];
  },
  [INDEX.controllerUid]: (o: KubeObject): string[] =>
    (o.metadata.ownerReferences ?? []).filter((r) => r.controller && r.uid).map((r) => r.uid),
  [INDEX.rcController]: (o: KubeObject): string[] => {
    const owner = rcOwner(o);
    return owner ? [metaNamespaceKey(o.metadata.namespace, owner.name)] : [];
  },
  [INDEX.orphanLabel]: (o: KubeObject): string[] => {
    if (o.kind !== 'Pod' || hasController(o) || !o.metadata.labels) return [];
    return Object.entries(o.metadata.labels).map(([k, v]) => labelPairKey(o.metadata.namespace, k, v));
  },
  [INDEX.selectorKey]: (o: KubeObject): string[] => {
    // One key is enough: an object matching the selector has every pair, so also the first.
    const sel = (o.spec as { selector?: Record<string, string> } | undefined)?.selector;
    if (!sel || typeof sel !== 'object') return [];
    const keys = Object.keys(sel).sort();
    return keys.length > 0 ? [labelPairKey(o.metadata.namespace, keys[0], sel[keys[0]])] : [];
  },
};

/** A plain in-memory CacheReader with the standard indexes kept up to date (unit tests, a hand-fed cache). */
export class MapCache<T extends KubeObject> implements CacheReader<T> {
  private readonly items = new Map<string, T>();
  /** index name -> value -> keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  /** key -> index name -> the values it is filed under (computed when set: a caller may mutate the object later) */
  private readonly filed = new Map<string, Map<string, string[]>>();

  set(obj: T): void {
    const key = metaNamespaceKey(obj);
    this.delete(key);
    this.items.set(key, obj);
    const filed = new Map<string, string[]>();
    for (const [name, f] of Object.entries(indexers)) {
      let index = this.indices.get(name);
      if (!index) this.indices.set(name, (index = new Map()));
      const values = f(obj);
      filed.set(name, values);
      for (const v of values) {
        let keys = index.get(v);
        if (!keys) index.set(v, (keys = new Set()));
        keys.add(key);
      }
    }
    this.filed.set(key, filed);
  }

  delete(key: string): void {
    this.items.delete(key);
    const filed = this.filed.get(key);
    if (!filed) return;
    this.filed.delete(key);
    for (const [name, values] of filed) {
      const index = this.indices.get(name)!;
      for (const v of values) {
        const keys = index.get(v);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(v);
      }
    }
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  byIndex(name: string, value: string): T[] {
    if (!(name in indexers)) throw new Error(`no index ${name}`);
    return [...(this.indices.get(name)?.get(value) ?? [])].map((k) => this.items.get(k)!);
  }
}
