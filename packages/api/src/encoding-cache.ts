// Encoded objects, kept by (wire version, resource, namespace, name, resourceVersion). A
// resourceVersion is an etcd revision, so one key always means the same bytes: repeated lists and
// many watchers of one change pay for conversion and JSON encoding once. Bounded by bytes (LRU).
// The watch cache's objects (frozen, shared by every list and watcher) keep their encodings with
// them instead (a WeakMap by object, like Kubernetes' cacher caching serialisations): no key to
// build and no LRU to reorder per item of a 20,000-pod list, and they go when the object is replaced.
import type { KubeObject, LazyItem, ResourceName } from '@coxswain/objects';
import type { Codec } from './codecs/codec';

export class EncodingCache {
  private readonly entries = new Map<string, string>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  /** Per wire version: a shared object's JSON as UTF-8 bytes (what a streamed list writes as is). */
  private readonly shared = new Map<string, WeakMap<KubeObject, Buffer>>();

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  /** The object as JSON in the codec's version. */
  encode(codec: Codec, resource: ResourceName, obj: KubeObject): string {
    if (Object.isFrozen(obj)) return this.withObject(codec, obj).toString();
    const m = obj.metadata;
    return this.lookup(codec, resource, m?.namespace, m?.name, m?.resourceVersion, () => obj);
  }

  /** The same for an item of a paged list: on a hit its body is never decoded. */
  encodeListed(codec: Codec, resource: ResourceName, item: LazyItem<KubeObject>): string {
    if (item.shared) return this.withObject(codec, item.shared).toString();
    return this.lookup(codec, resource, item.namespace, item.name, item.resourceVersion, () => item.object());
  }

  /**
   * encodeListed as bytes: a shared object's are kept, so a streamed list copies them into its chunk
   * instead of encoding 64 KiB of text to UTF-8 per write (the largest cost of a LIST-all in a profile).
   */
  encodeListedBytes(codec: Codec, resource: ResourceName, item: LazyItem<KubeObject>): Buffer | string {
    return item.shared ? this.withObject(codec, item.shared) : this.encodeListed(codec, resource, item);
  }

  /** A frozen object's encoding, kept with the object (it cannot change, so neither can its JSON). */
  private withObject(codec: Codec, obj: KubeObject): Buffer {
    let byObject = this.shared.get(codec.version);
    if (!byObject) this.shared.set(codec.version, (byObject = new WeakMap()));
    let bytes = byObject.get(obj);
    if (bytes === undefined) {
      this.misses++;
      // Its own allocation, not a slice of Buffer's shared 8 KiB pool: a kept slice would keep its
      // whole slab alive, and these live as long as their object does.
      const json = JSON.stringify(codec.encode(obj));
      bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(json));
      bytes.write(json);
      byObject.set(obj, bytes);
    } else this.hits++;
    return bytes;
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
