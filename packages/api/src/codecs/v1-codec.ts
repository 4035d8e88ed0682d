// The internal form served as-is (Kubernetes-v1-shaped, for kubectl-style clients): the internal
// schema validates it, and decoding/encoding only fill in apiVersion and kind. The same codec serves
// the core group's v1 and every named group's version (`apps/v1`), each with its own apiVersion.
import { resourceInfo, v1LabelValueCauses, validateSchema } from '@coxswain/objects';
import type { KubeObject, ResourceName } from '@coxswain/objects';
import type { Codec } from './codec';

export const V1_VERSION = 'v1';

/** A codec of the internal form under an apiVersion: `v1`, or a group's `apps/v1`. */
export function createV1Codec(apiVersion: string): Codec {
  /** The body with apiVersion and kind filled in when a client left them out. */
  function withTypeFields(resource: ResourceName, body: unknown): unknown {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
    const kind = resourceInfo(resource)?.kind;
    return { apiVersion, kind, ...(body as Record<string, unknown>) };
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
    encode: (obj) => (obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion }),
    fieldPath: (_resource, internalPath) => internalPath,
    nameOf: (body) => {
      const name = (body as { metadata?: { name?: unknown } } | null)?.metadata?.name;
      return typeof name === 'string' ? name : undefined;
    },
  };
}

export const v1Codec: Codec = createV1Codec(V1_VERSION);
