// The encoding cache: each version of an object is encoded once per wire version, whoever asks.
import type { KubeObject, LazyItem, Pod } from '@coxswain/objects';
import { v1beta1Codec, v1Codec } from './codecs';
import { EncodingCache } from './encoding-cache';

const pod = (rv: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', resourceVersion: rv },
  spec: { containers: [{ name: 'c', image: 'nginx' }] },
});

const deepFreeze = <T>(o: T): T => {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
};

it("a shared (frozen) object is encoded once per wire version, for lists and watches alike, and is the codec's JSON", () => {
  const cache = new EncodingCache();
  const shared = deepFreeze(pod('7'));
  let decodes = 0;
  const item: LazyItem<KubeObject> = { namespace: 'default', name: 'web', resourceVersion: '7', object: () => (decodes++, shared), shared };
  const v1 = cache.encodeListed(v1Codec, 'pods', item);
  expect(JSON.parse(v1)).toEqual(v1Codec.encode(pod('7')));
  expect(cache.encode(v1Codec, 'pods', shared)).toBe(v1);
  expect(cache.encodeListed(v1Codec, 'pods', item)).toBe(v1);
  expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 2, misses: 1 });
  // A streamed list gets the kept bytes themselves.
  const bytes = cache.encodeListedBytes(v1Codec, 'pods', item);
  expect(bytes.toString()).toBe(v1);
  expect(cache.encodeListedBytes(v1Codec, 'pods', item)).toBe(bytes);
  expect(Buffer.isBuffer(bytes)).toBe(true);
  const own = bytes as Buffer;
  expect(own.byteOffset === 0 && own.buffer.byteLength === own.length).toBe(true); // its own memory, not a pool slice
  expect(cache.misses).toBe(1);
  const beta = cache.encodeListed(v1beta1Codec, 'pods', item);
  expect(JSON.parse(beta)).toEqual(v1beta1Codec.encode(pod('7')));
  expect(cache.misses).toBe(2);
  expect(decodes).toBe(0); // the shared object is used as it is
});

it('objects read from etcd (not shared) are kept by resourceVersion: a newer version is encoded anew', () => {
  const cache = new EncodingCache();
  const a = cache.encode(v1Codec, 'pods', pod('7'));
  expect(cache.encode(v1Codec, 'pods', pod('7'))).toBe(a);
  const changed = { ...pod('8'), metadata: { ...pod('8').metadata, labels: { x: 'y' } } };
  expect(JSON.parse(cache.encode(v1Codec, 'pods', changed)).metadata.labels).toEqual({ x: 'y' });
  expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 1, misses: 2 });
});
