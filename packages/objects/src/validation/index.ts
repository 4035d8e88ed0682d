// Validation at the store boundary: the internal JSON Schema first, then semantic checks.
import type { FieldCause } from '../errors';
import { resourceForKind } from '../resources';
import type { KubeObject } from '../types';
import { validateSchema } from './schema-validator';
import { semanticCauses } from './semantics';

export { validateSchema, schemasDir, v1SchemaSources, type SchemaVersion } from './schema-validator';
export { joinPath, pointerToPath, valueAtPath } from './field-path';
export {
  objectNameProblem, namespaceProblem, labelKeyProblem, labelValueProblem, portNameProblem, portNumberProblem,
} from './identifiers';
export { v1LabelValueCauses, MIN_MEMORY_LIMIT_BYTES } from './semantics';
export { imageReferenceProblem } from './image-reference';
export { configKeyProblem, mergeStringData, MAX_CONFIG_BYTES } from './config-data';

/** Validates an internal object (JSON Schema, then semantic checks). Returns [] when valid. */
export function validateInternal(obj: KubeObject): FieldCause[] {
  const kind = (obj as { kind?: unknown } | null)?.kind;
  const info = typeof kind === 'string' ? resourceForKind(kind) : undefined;
  if (!info) return [{ field: 'kind', message: kind === undefined ? 'required' : `unknown kind ${JSON.stringify(kind)}` }];
  const schemaCauses = validateSchema('internal', info.resource, obj);
  if (schemaCauses.length > 0) return schemaCauses;
  return semanticCauses(obj);
}
