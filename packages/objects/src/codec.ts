// How an object is stored: JSON, without metadata.resourceVersion. The version is etcd's
// mod_revision of the key, put back on read as a decimal string (a revision can outgrow 2^53).
import type { KubeObject } from './types';

export function encodeObject(obj: KubeObject): Buffer {
  const { resourceVersion: _ignored, ...metadata } = obj.metadata;
  return Buffer.from(JSON.stringify({ ...obj, metadata }));
}

export function decodeObject<T extends KubeObject = KubeObject>(value: Buffer | Uint8Array, modRevision: string): T {
  const obj = JSON.parse(Buffer.isBuffer(value) ? value.toString('utf8') : Buffer.from(value).toString('utf8')) as T;
  obj.metadata = obj.metadata ?? ({} as T['metadata']);
  obj.metadata.resourceVersion = String(modRevision);
  return obj;
}
