// Turns ajv's errors into FieldCauses with a path per field and a short message.
import type { ErrorObject } from 'ajv';
import type { FieldCause } from '../errors';
import { joinPath, pointerToPath } from './field-path';

const MAX_CAUSES = 100;

const ARTICLE: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  object: 'an object',
  array: 'an array',
  boolean: 'a boolean',
  null: 'null',
};

function typeMessage(types: string | string[]): string {
  const list = (Array.isArray(types) ? types : String(types).split(',')).map((t) => ARTICLE[t] ?? t);
  return `must be ${list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}` : list[0]}`;
}

/** A schema may word its own errors: `"x-message": "..."` or `"x-message": {"<keyword>": "..."}`. */
function customMessage(e: ErrorObject): string | undefined {
  const custom = (e.parentSchema as Record<string, unknown> | undefined)?.['x-message'];
  if (typeof custom === 'string') return custom;
  if (custom && typeof custom === 'object') {
    const m = (custom as Record<string, unknown>)[e.keyword];
    if (typeof m === 'string') return m;
  }
  return undefined;
}

function describe(e: ErrorObject): { field: string; message: string } | undefined {
  const at = pointerToPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { field: joinPath(at, String(p.missingProperty)), message: 'required' };
    case 'additionalProperties':
      return { field: joinPath(at, String(p.additionalProperty)), message: 'unknown field' };
    case 'if':
      return undefined; // the failing `then` branch reports the real problem
    case 'type': {
      // A plain x-message words format problems; a wrong type keeps the plain "must be a string".
      const custom = (e.parentSchema as Record<string, unknown> | undefined)?.['x-message'];
      const own = custom && typeof custom === 'object' ? (custom as Record<string, unknown>).type : undefined;
      return { field: at, message: typeof own === 'string' ? own : typeMessage(p.type as string | string[]) };
    }
  }
  const custom = customMessage(e);
  if (custom) return { field: at, message: custom };
  switch (e.keyword) {
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      return { field: at, message: allowed.length === 1 ? `must be ${allowed[0]}` : `must be one of: ${allowed.join(', ')}` };
    }
    case 'const':
      return { field: at, message: `must be ${JSON.stringify(p.allowedValue)}` };
    case 'minLength':
      return { field: at, message: p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters` };
    case 'maxLength':
      return { field: at, message: `must be at most ${p.limit} characters` };
    case 'minItems':
      return { field: at, message: `must have at least ${p.limit} item${p.limit === 1 ? '' : 's'}` };
    case 'maxItems':
      return { field: at, message: p.limit === 0 ? 'must be empty' : `must have at most ${p.limit} items` };
    case 'minimum':
      return { field: at, message: `must be at least ${p.limit}` };
    case 'maximum':
      return { field: at, message: `must be at most ${p.limit}` };
    case 'maxProperties':
      return { field: at, message: `must have at most ${p.limit} field${p.limit === 1 ? '' : 's'}` };
    case 'pattern':
      return { field: at, message: 'has an invalid format' };
    default:
      return { field: at, message: e.message ?? 'is invalid' };
  }
}

export function causesFromAjv(errors: ErrorObject[]): FieldCause[] {
  // Errors inside an anyOf/oneOf branch are noise once the combinator itself reports.
  const combinators = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
  const seen = new Set<string>();
  const out: FieldCause[] = [];
  for (const e of errors) {
    if (combinators.some((prefix) => e.schemaPath.startsWith(prefix))) continue;
    const c = e.keyword === 'anyOf' || e.keyword === 'oneOf'
      ? { field: pointerToPath(e.instancePath), message: customMessage(e) ?? 'does not match any allowed form' }
      : describe(e);
    if (!c) continue;
    const key = `${c.field}\u0000${c.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(c);
    if (out.length >= MAX_CAUSES) break;
  }
  return out;
}
