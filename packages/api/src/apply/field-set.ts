// The set of fields an object sets, as server-side apply counts ownership: every leaf value and every
// element of a keyed list (so removing an element is a change of ownership). Paths are lists of
// elements in Kubernetes' FieldsV1 spelling: `f:name` for a field, `k:{"name":"web"}` for a keyed-list
// element (keys from the one table, patch-merge-keys.ts), `v:"x"` for an element of a list of scalars;
// other lists are atomic and count as one leaf. A set is held as JSON-encoded paths, which makes
// union/difference plain Set work; FieldsV1 (the nested object stored in managedFields) is only the
// wire form, converted by toFieldsV1/fromFieldsV1.
import { patchMergeKey } from '@coxswain/objects';

export type FieldPath = readonly string[];
export type FieldSet = ReadonlySet<string>;

const ITEM = '.';

/** The fields `obj` (a v1 object of `kind`) sets; status and server-owned metadata are left out. */
export function fieldSetOf(kind: string, obj: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  for (const [name, value] of Object.entries(obj)) {
    if (name === 'status' || name === 'apiVersion' || name === 'kind') continue;
    if (name === 'metadata' && isObject(value)) {
      for (const field of ['labels', 'annotations']) {
        const map = value[field];
        if (isObject(map)) for (const k of Object.keys(map)) out.add(encode(['f:metadata', `f:${field}`, `f:${k}`]));
      }
      continue;
    }
    walk(kind, [name], [`f:${name}`], value, out);
  }
  return out;
}

function walk(kind: string, dotted: string[], path: string[], value: unknown, out: Set<string>): void {
  if (isObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) walk(kind, [...dotted, k], [...path, `f:${k}`], v, out);
    return;
  }
  if (Array.isArray(value)) {
    const key = patchMergeKey(kind, dotted.join('.'));
    if (key !== undefined && value.every(isObject)) {
      for (const item of value as Record<string, unknown>[]) {
        const itemPath = [...path, `k:${JSON.stringify({ [key]: item[key] })}`];
        out.add(encode([...itemPath, ITEM]));
        for (const [k, v] of Object.entries(item)) walk(kind, [...dotted, k], [...itemPath, `f:${k}`], v, out);
      }
      return;
    }
  }
  out.add(encode(path));
}

export function encode(path: FieldPath): string {
  return JSON.stringify(path);
}

export function decode(entry: string): FieldPath {
  return JSON.parse(entry) as string[];
}

export function difference(a: FieldSet, b: FieldSet): Set<string> {
  return new Set([...a].filter((p) => !b.has(p)));
}

export function intersection(a: FieldSet, b: FieldSet): Set<string> {
  return new Set([...a].filter((p) => b.has(p)));
}

/** The FieldsV1 object stored in `metadata.managedFields[].fieldsV1`. */
export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const entry of [...set].sort()) {
    let node = root;
    for (const element of decode(entry)) {
      node[element] ??= {};
      node = node[element] as Record<string, unknown>;
    }
  }
  return root;
}

export function fromFieldsV1(fields: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  const visit = (node: Record<string, unknown>, path: string[]): void => {
    const children = Object.entries(node);
    if (children.length === 0 && path.length > 0) out.add(encode(path));
    for (const [element, child] of children) visit(isObject(child) ? child : {}, [...path, element]);
  };
  visit(fields, []);
  return out;
}

/** A path as a user reads it in a conflict: `.spec.containers[name="web"].image`. */
export function describePath(entry: string): string {
  return decode(entry)
    .filter((e) => e !== ITEM)
    .map((e) => (e.startsWith('f:') ? `.${e.slice(2)}` : e.startsWith('k:') ? keyText(e.slice(2)) : `[${e.slice(2)}]`))
    .join('');
}

function keyText(json: string): string {
  const pairs = Object.entries(JSON.parse(json) as Record<string, unknown>);
  return `[${pairs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
