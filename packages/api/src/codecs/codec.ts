// A wire version: how objects of one API version are validated, decoded into internal objects and
// encoded back. The server is the same for every version; adding a version is adding a Codec.
import type { FieldCause, KubeObject, ResourceName } from '@coxswain/objects';

export interface Codec {
  /** The group version it serves, as apiVersion says it: `v1beta1`, `v1` (under /api/), `apps/v1` (under /apis/). */
  readonly version: string;
  /**
   * Whether the wire form is the internal (Kubernetes-v1-shaped) form: then the tables written in its
   * terms (patch merge keys) apply to a wire object as they stand.
   */
  readonly internalForm: boolean;
  /** Validates a request body against this version's schema for the resource; [] when valid. Paths are in this version's terms. */
  validate(resource: ResourceName, body: unknown): FieldCause[];
  /** Converts a (validated) wire object into the internal form. */
  decode(resource: ResourceName, body: unknown): KubeObject;
  /** Converts an internal object into this version's wire form. */
  encode(obj: KubeObject): unknown;
  /** Maps a field path of the internal form (from store validation) to this version's terms. */
  fieldPath(resource: ResourceName, internalPath: string): string;
  /** The name of a wire object (`id` in v1beta1, `metadata.name` in v1), to check it against the URL. */
  nameOf(body: unknown): string | undefined;
}
