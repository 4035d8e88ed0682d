// Reading and writing the few fields the CLI needs on an object of either wire version: v1beta1 keeps
// `id`, `resourceVersion` and `annotations` at the top level, v1 keeps them in `metadata`.
import { isObject, JsonObject, str } from '@coxswain/objects';
import type { WireVersion } from './cluster-client';

/** The version a manifest is written in: its apiVersion, else its shape (`id` means the seed's v1beta1). */
export function versionOf(obj: JsonObject): WireVersion {
  if (obj.apiVersion === 'v1beta1') return 'v1beta1';
  if (typeof obj.apiVersion === 'string') return 'v1';
  return typeof obj.id === 'string' && !isObject(obj.metadata) ? 'v1beta1' : 'v1';
}

export function nameOf(obj: JsonObject): string {
  return str(obj, 'metadata.name') || str(obj, 'id');
}

export function resourceVersionOf(obj: JsonObject): string {
  return str(obj, 'metadata.resourceVersion') || str(obj, 'resourceVersion');
}

export function setResourceVersion(obj: JsonObject, version: WireVersion, rv: string): void {
  if (version === 'v1beta1') obj.resourceVersion = rv;
  else obj.metadata = { ...(isObject(obj.metadata) ? obj.metadata : {}), resourceVersion: rv };
}

export function annotationsOf(obj: JsonObject, version: WireVersion): Record<string, string> {
  const holder = version === 'v1beta1' ? obj : obj.metadata;
  const a = isObject(holder) ? holder.annotations : undefined;
  return isObject(a) ? (a as Record<string, string>) : {};
}

export function setAnnotation(obj: JsonObject, version: WireVersion, key: string, value: string): void {
  if (version === 'v1beta1') {
    obj.annotations = { ...annotationsOf(obj, version), [key]: value };
    return;
  }
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  obj.metadata = { ...meta, annotations: { ...annotationsOf(obj, version), [key]: value } };
}

export function withoutAnnotation(obj: JsonObject, version: WireVersion, key: string): JsonObject {
  const copy = JSON.parse(JSON.stringify(obj)) as JsonObject;
  const holder = (version === 'v1beta1' ? copy : copy.metadata) as JsonObject | undefined;
  if (isObject(holder) && isObject(holder.annotations)) {
    delete holder.annotations[key];
    if (Object.keys(holder.annotations).length === 0) delete holder.annotations;
  }
  return copy;
}
