// Encoded objects, kept by (wire version, resource, namespace, name, resourceVersion). A
// resourceVersion is an etcd revision, so one key always means the same bytes: repeated lists and
// many watchers of one change pay for conversion and JSON encoding once. Bounded by bytes (LRU).
import type { KubeObject, LazyItem, ResourceName } from '@coxswain/objects';
import type { Codec } from './codecs/codec';

export class EncodingCache {
  private readonly entries = new Map<string, string>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  /** The object as JSON in the codec's version. */
  encode(codec: Codec, resource: ResourceName, obj: KubeObject): string {
    const m = obj.metadata;
    return this.lookup(codec, resource, m?.namespace, m?.name, m?.resourceVersion, () => obj);
  }

  /** The same for an item of a paged list: on a hit its body is never decoded. */
  encodeListed(codec: Codec, resource: ResourceName, item: LazyItem<KubeObject>): string {
    return this.lookup(codec, resource, item.namespace, item.name, item.resourceVersion, () => item.object());
  }

  private lookup(codec: Codec, resource: ResourceName, namespace: string | undefined, name: string, rv: string | undefined, obj: () => KubeObject): string {
    return this.text(codec.version, resource, namespace, name, rv, () => JSON.stringify(codec.encode(obj())));
  }

  /**
   * Any text derived from one version of an object alone (`form` names the derivation: a wire
   * version, or a Table row's form), computed once and kept.
   */
  text(form: string, resource: ResourceName, namespace: string | undefined, name: string, rv: string | undefined, compute: () => string): string {
    if (!rv || this.maxBytes <= 0) return compute();
    const key = `${form}\u0000${resource}\u0000${namespace ?? ''}\u0000${name}\u0000${rv}`;
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.hits++;
      // Move to the young end.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    this.misses++;
    const json = compute();
    this.entries.set(key, json);
    this.bytes += json.length + key.length;
    if (this.bytes > this.maxBytes) this.evict();
    return json;
  }

  private evict(): void {
    for (const [key, json] of this.entries) {
      if (this.bytes <= this.maxBytes * 0.9) break;
      this.entries.delete(key);
      this.bytes -= json.length + key.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
