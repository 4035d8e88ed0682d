// What a reconciler reads: an informer's cache (get by key, list, look up by a named index) and the
// handlers it registers on it. The store's Informer satisfies this; tests can fill a MapCache.
import type { KubeObject } from '@coxswain/store';
import { objectKey } from './pod-resources';

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
} as const;

export const indexers = {
  [INDEX.namespace]: (o: KubeObject): string[] => [o.metadata.namespace ?? ''],
  [INDEX.nodeName]: (o: KubeObject): string[] => {
    const n = (o.spec as { nodeName?: string } | undefined)?.nodeName;
    return n ? [n] : [];
  },
};

/** A plain in-memory CacheReader (unit tests, and a pod cache fed by hand). */
export class MapCache<T extends KubeObject> implements CacheReader<T> {
  private readonly items = new Map<string, T>();

  set(obj: T): void {
    this.items.set(objectKey(obj), obj);
  }

  delete(key: string): void {
    this.items.delete(key);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  byIndex(name: string, value: string): T[] {
    const f = indexers[name as keyof typeof indexers];
    if (!f) throw new Error(`no index ${name}`);
    return this.list().filter((o) => f(o).includes(value));
  }
}
