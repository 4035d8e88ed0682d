// Placeholder until the schema validator lands: validates an internal object at the store boundary.
import type { FieldCause } from '../errors';
import type { KubeObject } from '../types';

/** Validates an internal object (JSON Schema, then semantic checks). Returns [] when valid. */
export function validateInternal(_obj: KubeObject): FieldCause[] {
  return [];
}
