// fieldValidation (Strict | Warn | Ignore): what a write does with fields its version's schema does
// not know. kubectl sends Strict (its default --validate=strict). Without the parameter, v1 is Warn
// as Kubernetes' servers are, and v1beta1 stays Strict, the seed API's rule since the start
// (its schemas are lenient at the top level and strict inside: that is the schemas' business).
// Strict: 422 naming each unknown field. Warn: the fields are dropped and each is named in a
// `Warning: 299 - "unknown field \"spec.x\""` header. Ignore: dropped silently. Other schema errors
// are 422 in every mode. Duplicate JSON keys are not detected (JSON.parse keeps the last).
import type { FieldCause } from '@coxswain/objects';
import type { ServerResponse } from 'node:http';
import { badRequest } from './status';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';
const MODES: readonly FieldValidation[] = ['Strict', 'Warn', 'Ignore'];
// The message objects' schema validation (validation/ajv-causes.ts) gives an additional property.
const UNKNOWN = 'unknown field';

export const isUnknownField = (c: FieldCause): boolean => c.message === UNKNOWN;

export function fieldValidationOf(query: URLSearchParams, version: string): FieldValidation {
  const value = query.get('fieldValidation');
  if (value === null || value === '') return version === 'v1' ? 'Warn' : 'Strict';
  if (!(MODES as string[]).includes(value)) {
    throw badRequest(`invalid fieldValidation "${value}": one of ${MODES.join(', ')}`, { causes: [{ field: 'fieldValidation', message: `must be one of ${MODES.join(', ')}`, reason: 'FieldValueNotSupported' }] });
  }
  return value as FieldValidation;
}

/**
 * The causes that still fail the write under `mode`; unknown fields it lets through are removed
 * from `body` (so the codec never sees them) and, under Warn, returned as warnings.
 */
export function applyFieldValidation(mode: FieldValidation, body: Record<string, unknown>, causes: FieldCause[]): { failures: FieldCause[]; warnings: string[] } {
  if (mode === 'Strict') return { failures: causes, warnings: [] };
  const unknown = causes.filter(isUnknownField);
  const failures = causes.filter((c) => !isUnknownField(c));
  for (const c of unknown) removeAt(body, c.field);
  return { failures, warnings: mode === 'Warn' ? unknown.map((c) => `unknown field "${c.field}"`).sort() : [] };
}

/** Adds Kubernetes' warning headers (code 299, agent "-") to a response. */
export function sendWarnings(res: ServerResponse, warnings: readonly string[]): void {
  if (warnings.length > 0) res.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
}

/** Deletes the field at a cause's path (`spec.containers[0].foo`). */
function removeAt(body: Record<string, unknown>, path: string): void {
  const segments = path.match(/[^.[\]]+/g) ?? [];
  let at: unknown = body;
  for (const s of segments.slice(0, -1)) {
    if (typeof at !== 'object' || at === null) return;
    at = (at as Record<string, unknown>)[s];
  }
  if (typeof at === 'object' && at !== null) delete (at as Record<string, unknown>)[segments[segments.length - 1]];
}
