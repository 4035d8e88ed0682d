// The internal form served as-is (Kubernetes-v1-shaped, for kubectl-style clients): the internal
// schema validates it, and decoding/encoding only fill in apiVersion and kind.
import { resourceInfo, v1LabelValueCauses, validateSchema } from '@coxswain/objects';
import type { KubeObject, ResourceName } from '@coxswain/objects';
import type { Codec } from './codec';

export const V1_VERSION = 'v1';

/** The body with apiVersion and kind filled in when a client left them out. */
function withTypeFields(resource: ResourceName, body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const kind = resourceInfo(resource)?.kind;
  return { apiVersion: V1_VERSION, kind, ...(body as Record<string, unknown>) };
}

export const v1Codec: Codec = {
  version: V1_VERSION,
  validate: (resource, body) => {
    const causes = validateSchema('v1', resource, withTypeFields(resource, body));
    // The store keeps 2014's free-text label values for v1beta1 clients; v1 holds to its own rule.
    return causes.length > 0 ? causes : v1LabelValueCauses(body as KubeObject);
  },
  // A private copy: the caller (strategy) mutates what it decodes.
  decode: (resource, body) => JSON.parse(JSON.stringify(withTypeFields(resource, body))) as KubeObject,
  // Encoding happens for every listed and watched object: no copy; JSON serialization does not mutate.
  encode: (obj) => (obj.apiVersion === V1_VERSION ? obj : { ...obj, apiVersion: V1_VERSION }),
  fieldPath: (_resource, internalPath) => internalPath,
  nameOf: (body) => {
    const name = (body as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    return typeof name === 'string' ? name : undefined;
  },
};
