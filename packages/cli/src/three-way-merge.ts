// The three-way merge behind `apply`: the last applied configuration (what the file said last time),
// the new file, and the live object. Fields the file sets win; fields the file set last time but no
// longer mentions are removed; fields nobody's file ever set (server defaults, status, other writers'
// additions) are kept. Lists of named objects (containers, ports, env) merge element by element, so
// server-defaulted fields inside them survive and an unchanged file is a no-op.
import { deepEqual } from '@coxswain/objects';
import { isObject, JsonObject } from '@coxswain/objects';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** The key that identifies an element of a list of objects, if every element has one. */
const MERGE_KEYS = ['name', 'containerPort', 'port', 'ip'];

function mergeKeyOf(...lists: unknown[][]): string | undefined {
  const all = lists.flat();
  if (all.length === 0 || !all.every(isObject)) return undefined;
  return MERGE_KEYS.find((k) => all.every((el) => (el as JsonObject)[k] !== undefined));
}

function mergeList(original: unknown, modified: unknown[], current: unknown): unknown[] {
  // The file did not change this list since it was last applied: whatever is live stays.
  if (Array.isArray(current) && original !== undefined && deepEqual(original, modified)) return clone(current);
  if (!Array.isArray(current)) return clone(modified);
  const orig = Array.isArray(original) ? original : [];
  const key = mergeKeyOf(modified, current, orig);
  if (!key) return clone(modified);
  const byKey = (list: unknown[]) => new Map(list.map((el) => [JSON.stringify((el as JsonObject)[key]), el]));
  const cur = byKey(current);
  const prev = byKey(orig);
  const out: unknown[] = modified.map((el) => {
    const k = JSON.stringify((el as JsonObject)[key]);
    const live = cur.get(k);
    return live === undefined ? clone(el) : mergeValue(prev.get(k), el, live);
  });
  // Elements someone else added (not in this file now or before) are kept.
  const mine = new Set([...modified, ...orig].map((el) => JSON.stringify((el as JsonObject)[key])));
  for (const el of current) if (!mine.has(JSON.stringify((el as JsonObject)[key]))) out.push(clone(el));
  return out;
}

function mergeValue(original: unknown, modified: unknown, current: unknown): unknown {
  if (isObject(modified) && isObject(current)) return threeWayMerge(isObject(original) ? original : undefined, modified, current);
  if (Array.isArray(modified)) return mergeList(original, modified, current);
  return clone(modified);
}

/**
 * Returns the object to write: `current` with the file's changes applied. A pure function: none of
 * its arguments is modified. A `null` in the file removes the field, as in a JSON merge patch.
 */
export function threeWayMerge(original: JsonObject | undefined, modified: JsonObject, current: JsonObject): JsonObject {
  const out: JsonObject = clone(current);
  for (const [key, value] of Object.entries(modified)) {
    if (value === null || value === undefined) {
      delete out[key];
      continue;
    }
    out[key] = mergeValue(original?.[key], value, current[key]);
  }
  if (original) {
    for (const key of Object.keys(original)) if (!(key in modified)) delete out[key];
  }
  return out;
}
