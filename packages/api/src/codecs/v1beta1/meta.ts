// v1beta1's flat TypeMeta (`id`, `labels`, `resourceVersion` at the top level) <-> ObjectMeta.
import type { ObjectMeta } from '@coxswain/objects';
import { compact, copy } from './object-utils';
import type { TypeMeta } from './wire-types';

export const WIRE_VERSION = 'v1beta1';
export const INTERNAL_VERSION = 'v1';

export function metaToInternal(b: TypeMeta): ObjectMeta {
  // A body without `id` may still be named by the URL or by generateName; the API fills it in.
  return compact({
    name: b.id as string,
    namespace: b.namespace,
    uid: b.uid,
    resourceVersion: b.resourceVersion === undefined ? undefined : String(b.resourceVersion),
    generation: b.generation,
    labels: copy(b.labels),
    annotations: copy(b.annotations),
    creationTimestamp: b.creationTimestamp,
    ownerReferences: copy(b.ownerReferences),
    generateName: b.generateName,
  });
}

/** The leading fields of every v1beta1 object, in the order 2014's API printed them. Labels come last, from the caller. */
export function metaFromInternal(kind: string, m: ObjectMeta): TypeMeta {
  return compact({
    id: m.name,
    kind,
    apiVersion: WIRE_VERSION,
    namespace: m.namespace,
    uid: m.uid,
    creationTimestamp: m.creationTimestamp,
    resourceVersion: m.resourceVersion,
    generation: m.generation,
    generateName: m.generateName,
    ownerReferences: copy(m.ownerReferences),
    annotations: copy(m.annotations),
  });
}
