// Objects to etcd values and back (objects' codec), through the value transformer of the key's
// prefix when there is one (encryption at rest: value-transformers.ts). The one place the store's
// reads and writes turn objects into bytes, so an encrypted kind is encrypted on every path.
import { decodeObject, encodeObject, type KubeObject } from '@coxswain/objects';
import type { ValueTransformer } from './value-transformers';

/** Keys under `prefix` go through `transformer`. */
export interface PrefixTransformer {
  prefix: string;
  transformer: ValueTransformer;
}

export class StorageCodec {
  constructor(private readonly transformers: readonly PrefixTransformer[] = []) {}

  encode(key: string, obj: KubeObject): Buffer {
    const t = this.transformerFor(key);
    return t ? t.toStorage(encodeObject(obj), key) : encodeObject(obj);
  }

  decode<T extends KubeObject>(key: string | Buffer, value: Buffer, revision: string): T {
    return decodeObject<T>(this.plain(key, value), revision);
  }

  /** The object's JSON as stored before any transformer. */
  plain(key: string | Buffer, value: Buffer): Buffer {
    const k = typeof key === 'string' ? key : key.toString('utf8');
    const t = this.transformerFor(k);
    return t ? t.fromStorage(value, k).plain : value;
  }

  /** The value was written by a provider other than the first (an old key): a rewrite must not be skipped. */
  stale(key: string, value: Buffer): boolean {
    return this.transformerFor(key)?.fromStorage(value, key).stale ?? false;
  }

  private transformerFor(key: string): ValueTransformer | undefined {
    for (const t of this.transformers) if (key.startsWith(t.prefix)) return t.transformer;
    return undefined;
  }
}
