// Strategic merge patch, what kubectl sends as application/strategic-merge-patch+json (`kubectl
// patch` by default, `apply` after a change, `edit`, `label`, `annotate`): a JSON merge patch in which
// the lists named in the merge-key table (@coxswain/objects PATCH_MERGE_KEYS) merge element by element
// on their key instead of being replaced, plus the directives kubectl writes:
//   {"$patch": "replace"|"delete"|"merge"} in a map or as a list element,
//   "$setElementOrder/<list>": the order of the list after the merge,
//   "$retainKeys": [keys] (the map keeps only those keys, then merges),
//   "$deleteFromPrimitiveList/<list>": values to remove from a list of scalars.
// Simplified against Kubernetes: lists of scalars are replaced unless a $deleteFromPrimitiveList
// names them (Kubernetes merges `finalizers` as a set); $setElementOrder puts the listed elements in
// its order first and the rest after them in their old order (Kubernetes interleaves them).
import { patchMergeKey } from '@coxswain/objects';
import type { Json } from './merge-patch';

type JsonMap = { [key: string]: Json };

/** A patch that cannot apply: its JSON path and why. The handler answers 422 naming them. */
export class PatchError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);
const DIRECTIVE = '$patch';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVES = '$deleteFromPrimitiveList/';
const RETAIN_KEYS = '$retainKeys';

/** `target` (the current object in v1 wire form) with `patch` applied; neither is modified. */
export function applyStrategicMergePatch(kind: string, target: JsonMap, patch: JsonMap): JsonMap {
  const merged = mergeMap(kind, target, patch, []);
  return merged === undefined ? {} : merged;
}

/** A map merged with a patch map; undefined when the patch deletes the map. */
function mergeMap(kind: string, target: Json | undefined, patch: JsonMap, path: string[]): JsonMap | undefined {
  const directive = patch[DIRECTIVE];
  if (directive !== undefined && directive !== 'replace' && directive !== 'delete' && directive !== 'merge') {
    throw new PatchError(fieldOf([...path, DIRECTIVE]), `unknown directive ${JSON.stringify(directive)} (replace, delete or merge)`);
  }
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return withoutDirectives(patch);
  let result: JsonMap = isMap(target) ? { ...target } : {};
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) {
      throw new PatchError(fieldOf([...path, RETAIN_KEYS]), 'must be a list of field names');
    }
    result = Object.fromEntries(Object.entries(result).filter(([k]) => retain.includes(k) || k in patch));
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(SET_ORDER)) continue;
    if (key.startsWith(DELETE_PRIMITIVES)) {
      deleteFromPrimitiveList(result, key.slice(DELETE_PRIMITIVES.length), value, [...path, key]);
      continue;
    }
    const at = [...path, key];
    if (value === null) delete result[key];
    else if (isMap(value)) {
      const merged = mergeMap(kind, result[key], value, at);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      const mergeKey = patchMergeKey(kind, at.join('.'));
      result[key] = mergeKey ? mergeList(kind, result[key], value, mergeKey, at) : value.map(stripDirectivesDeep);
    } else result[key] = value;
  }
  for (const [key, order] of Object.entries(patch)) {
    if (key.startsWith(SET_ORDER)) setElementOrder(kind, result, key.slice(SET_ORDER.length), order, path);
  }
  return result;
}

/** A keyed list merged element by element on `mergeKey`. */
function mergeList(kind: string, target: Json | undefined, patch: Json[], mergeKey: string, path: string[]): Json[] {
  if (patch.some((el) => isMap(el) && el[DIRECTIVE] === 'replace')) {
    return patch.filter((el) => !(isMap(el) && el[DIRECTIVE] === 'replace')).map(stripDirectivesDeep);
  }
  const result: Json[] = Array.isArray(target) ? [...target] : [];
  patch.forEach((el, i) => {
    const at = [...path.slice(0, -1), `${path[path.length - 1]}[${i}]`];
    if (!isMap(el) || el[mergeKey] === undefined) {
      throw new PatchError(fieldOf(at), `an element of a list merged by "${mergeKey}" must be an object with "${mergeKey}"`);
    }
    const index = result.findIndex((cur) => isMap(cur) && cur[mergeKey] === el[mergeKey]);
    if (el[DIRECTIVE] === 'delete') {
      if (index >= 0) result.splice(index, 1);
      return;
    }
    // Children of a keyed list element are looked up without the element (the table skips elements).
    const merged = mergeMap(kind, index >= 0 ? result[index] : undefined, el, path);
    if (merged === undefined) return;
    if (index >= 0) result[index] = merged;
    else result.push(merged);
  });
  return result;
}

function deleteFromPrimitiveList(result: JsonMap, list: string, values: Json, path: string[]): void {
  if (!Array.isArray(values)) throw new PatchError(fieldOf(path), 'must be a list of the values to remove');
  const current = result[list];
  if (Array.isArray(current)) result[list] = current.filter((v) => !values.includes(v));
}

function setElementOrder(kind: string, result: JsonMap, list: string, order: Json, path: string[]): void {
  const at = [...path, `${SET_ORDER}${list}`];
  if (!Array.isArray(order)) throw new PatchError(fieldOf(at), 'must be a list');
  const current = result[list];
  if (!Array.isArray(current)) return;
  const mergeKey = patchMergeKey(kind, [...path, list].join('.'));
  const keyOf = (el: Json): Json => (mergeKey && isMap(el) ? el[mergeKey] : el);
  const wanted = order.map((el) => keyOf(el));
  const rank = (el: Json) => {
    const i = wanted.indexOf(keyOf(el));
    return i < 0 ? wanted.length : i;
  };
  // Array.prototype.sort is stable: the elements the order does not name keep their relative order.
  result[list] = [...current].sort((a, b) => rank(a) - rank(b));
}

function withoutDirectives(map: JsonMap): JsonMap {
  return stripDirectivesDeep(map) as JsonMap;
}

/** A value that replaces whole carries no directives into the stored object. */
function stripDirectivesDeep(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectivesDeep);
  if (!isMap(v)) return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k]) => k !== DIRECTIVE && k !== RETAIN_KEYS && !k.startsWith(SET_ORDER) && !k.startsWith(DELETE_PRIMITIVES))
      .map(([k, val]) => [k, stripDirectivesDeep(val)]),
  );
}

/** `spec.containers[0].image` from path segments. */
function fieldOf(path: string[]): string {
  return path.join('.') || '<root>';
}
