// The internal form served as-is (Kubernetes-v1-shaped, for kubectl-style clients): the internal
// schema validates it, and decoding/encoding only fill in apiVersion and kind. The same codec serves
// the core group's v1 and every named group's version (`apps/v1`), each with its own apiVersion.
import { RESOURCES, resourceInfo, v1LabelValueCauses, validateSchema, wireNames } from '@coxswain/objects';
import type { KubeObject, ResourceName } from '@coxswain/objects';
import type { Codec } from './codec';

export const V1_VERSION = 'v1';

/** A codec of the internal form under an apiVersion: `v1`, or a group's `apps/v1`. */
export function createV1Codec(apiVersion: string): Codec {
  // Kinds this version names differently from the store (v1's Node is the store's Minion): wire → internal and back.
  const renamed = RESOURCES.filter((r) => wireNames(r, apiVersion).kind !== r.kind);
  const toInternalKind = new Map(renamed.map((r) => [wireNames(r, apiVersion).kind, r.kind]));
  const toWireKind = new Map(renamed.map((r) => [r.kind, wireNames(r, apiVersion).kind]));

  /**
   * The body in the store's terms: apiVersion and kind filled in when a client left them out, a
   * renamed kind mapped back, and kubectl's `metadata.creationTimestamp: null` (what Go's zero
   * time encodes to in every object it sends) dropped, as the Kubernetes API server ignores it.
   */
  function withTypeFields(resource: ResourceName, body: unknown): unknown {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
    const out: Record<string, unknown> = { apiVersion, kind: resourceInfo(resource)?.kind, ...(body as Record<string, unknown>) };
    if (typeof out.kind === 'string' && toInternalKind.has(out.kind)) out.kind = toInternalKind.get(out.kind);
    const meta = out.metadata as Record<string, unknown> | undefined;
    if (meta && typeof meta === 'object' && meta.creationTimestamp === null) {
      const { creationTimestamp: _null, ...rest } = meta;
      out.metadata = rest;
    }
    return out;
  }
  return {
    version: apiVersion,
    internalForm: true,
    validate: (resource, body) => {
      const causes = validateSchema('v1', resource, withTypeFields(resource, body));
      // The store keeps 2014's free-text label values for v1beta1 clients; v1 holds to its own rule.
      return causes.length > 0 ? causes : v1LabelValueCauses(body as KubeObject);
    },
    // A private copy: the caller (strategy) mutates what it decodes.
    decode: (resource, body) => JSON.parse(JSON.stringify(withTypeFields(resource, body))) as KubeObject,
    // Encoding happens for every listed and watched object: no copy; JSON serialization does not mutate.
    encode: (obj) => {
      const kind = toWireKind.get(obj.kind);
      if (kind) return { ...obj, apiVersion, kind };
      return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
    },
    fieldPath: (_resource, internalPath) => internalPath,
    nameOf: (body) => {
      const name = (body as { metadata?: { name?: unknown } } | null)?.metadata?.name;
      return typeof name === 'string' ? name : undefined;
    },
  };
}

export const v1Codec: Codec = createV1Codec(V1_VERSION);
