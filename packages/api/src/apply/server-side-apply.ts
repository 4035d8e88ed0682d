// Server-side apply (PATCH application/apply-patch+yaml): the applier's configuration merges into the
// live object (keyed lists by their keys, as a strategic merge does), each manager's fields are
// recorded in metadata.managedFields (FieldsV1), a field another manager set to a different value is
// a conflict unless forced (then the applier takes it), and a field the applier owned and no longer
// sets is removed when no one else owns it. Pure functions over wire-form (v1) objects; the handler
// runs them inside the registry's retry-on-conflict loop.
import type { Json } from '../merge-patch';
import { applyStrategicMergePatch } from '../strategic-merge-patch';
import { decode, describePath, difference, fieldSetOf, fromFieldsV1, intersection, toFieldsV1 } from './field-set';

type Obj = Record<string, unknown>;

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Obj;
}

export interface ApplyConflict {
  manager: string;
  field: string;
}

export class ApplyConflictError extends Error {
  constructor(readonly conflicts: ApplyConflict[]) {
    super(`Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${conflicts.map((c) => `conflict with "${c.manager}": ${c.field}`).join(', ')}`);
  }
}

export interface ApplyRequest {
  kind: string;
  manager: string;
  force: boolean;
  /** The applier's configuration (wire form). */
  config: Obj;
  now: string;
}

const MISSING = Symbol('missing');

/** The object after `request` is applied to `current` (undefined: the object does not exist yet). */
export function serverSideApply(current: Obj | undefined, request: ApplyRequest): Obj {
  const { kind, manager, force, now } = request;
  const config = withoutManagedFields(request.config);
  const entries = managedFieldsOf(current);
  const applied = fieldSetOf(kind, config);
  const mine = entries.find((e) => e.manager === manager && e.operation === 'Apply');
  const previouslyApplied = mine ? fromFieldsV1(mine.fieldsV1) : new Set<string>();

  const others = entries.filter((e) => e !== mine).map((e) => ({ entry: e, set: fromFieldsV1(e.fieldsV1) }));
  const conflicts: ApplyConflict[] = [];
  const conflicting = new Set<string>();
  for (const other of others) {
    for (const path of intersection(applied, other.set)) {
      if (decode(path).at(-1) === '.') continue; // an element's presence is shared, only its values conflict
      if (sameValue(valueAt(current, path), valueAt(config, path))) continue; // the same value: shared ownership
      conflicts.push({ manager: other.entry.manager, field: describePath(path) });
      conflicting.add(path);
    }
  }
  if (conflicts.length > 0 && !force) throw new ApplyConflictError(conflicts);

  let result = current ? (applyStrategicMergePatch(kind, current as { [key: string]: Json }, config as { [key: string]: Json }) as Obj) : structuredClone(config);
  const ownedByOthers = new Set<string>();
  const kept: ManagedFieldsEntry[] = [];
  for (const other of others) {
    // Forced: the applier takes the conflicting fields from their managers.
    const remaining = difference(other.set, conflicting);
    for (const p of remaining) ownedByOthers.add(p);
    if (remaining.size > 0) kept.push({ ...other.entry, fieldsV1: toFieldsV1(remaining) });
  }
  const removed = [...difference(previouslyApplied, applied)].filter((p) => !ownedByOthers.has(p));
  result = removePaths(result, removed);
  const fieldsV1 = toFieldsV1(applied);
  // The time moves only when the applier's fields do, so an unchanged apply leaves the object unchanged.
  const time = mine && JSON.stringify(mine.fieldsV1) === JSON.stringify(fieldsV1) ? mine.time : now;
  const entry: ManagedFieldsEntry = { manager, operation: 'Apply', apiVersion: String(config.apiVersion ?? ''), time, fieldsType: 'FieldsV1', fieldsV1 };
  const ordered = mine ? entries.map((e) => (e === mine ? entry : kept.find((k) => k.manager === e.manager && k.operation === e.operation))).filter((e): e is ManagedFieldsEntry => e !== undefined) : [...kept, entry];
  setManagedFields(result, ordered);
  return result;
}

/**
 * After a write by another means (PUT, another patch type) by `manager`: the fields whose values it
 * changed become its (operation Update) and leave the other managers.
 */
export function recordUpdate(kind: string, before: Obj | undefined, after: Obj, manager: string, apiVersion: string, now: string): Obj {
  const entries = managedFieldsOf(before);
  const afterSet = fieldSetOf(kind, after);
  // A keyed-list element's presence changes only when the element is new; its fields count on their own.
  const isChanged = (p: string) => (decode(p).at(-1) === '.' ? valueAt(before, p) === MISSING : !sameValue(valueAt(before, p), valueAt(after, p)));
  const changed = new Set([...afterSet].filter(isChanged));
  const next: ManagedFieldsEntry[] = [];
  let updated = false;
  for (const e of entries) {
    const own = intersection(fromFieldsV1(e.fieldsV1), afterSet);
    if (e.manager === manager && e.operation === 'Update') {
      updated = true;
      // A write that changed nothing leaves the entry (and so the object) as it was.
      next.push(changed.size === 0 ? e : { ...e, time: now, fieldsV1: toFieldsV1(new Set([...own, ...changed])) });
      continue;
    }
    const remaining = difference(own, changed);
    if (remaining.size > 0) next.push({ ...e, fieldsV1: toFieldsV1(remaining) });
  }
  if (!updated && changed.size > 0) next.push({ manager, operation: 'Update', apiVersion, time: now, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(changed) });
  const out = structuredClone(after);
  setManagedFields(out, next);
  return out;
}

export function managedFieldsOf(obj: Obj | undefined): ManagedFieldsEntry[] {
  const meta = obj?.metadata as Obj | undefined;
  return Array.isArray(meta?.managedFields) ? (meta.managedFields as ManagedFieldsEntry[]) : [];
}

function setManagedFields(obj: Obj, entries: ManagedFieldsEntry[]): void {
  const meta = { ...((obj.metadata as Obj | undefined) ?? {}) };
  if (entries.length > 0) meta.managedFields = entries;
  else delete meta.managedFields;
  obj.metadata = meta;
}

function withoutManagedFields(config: Obj): Obj {
  const meta = config.metadata as Obj | undefined;
  if (!meta || !('managedFields' in meta)) return config;
  const { managedFields: _ignored, ...rest } = meta;
  return { ...config, metadata: rest };
}

/** The value a field path names in `obj`, or MISSING. */
function valueAt(obj: unknown, entry: string): unknown {
  let node: unknown = obj;
  for (const element of decode(entry)) {
    if (element === '.') continue;
    if (element.startsWith('f:') && isObj(node) && element.slice(2) in node) node = node[element.slice(2)];
    else if (element.startsWith('k:') && Array.isArray(node)) node = node.find((item) => matchesKey(item, element)) ?? MISSING;
    else return MISSING;
    if (node === MISSING) return MISSING;
  }
  return node;
}

/** Removes the named fields (and keyed-list elements) from `obj`, leaves before their elements. */
function removePaths(obj: Obj, entries: string[]): Obj {
  const out = structuredClone(obj);
  const paths = entries.map(decode).sort((a, b) => b.length - a.length);
  for (const path of paths) {
    const isItem = path.at(-1) === '.';
    const target = isItem ? path.slice(0, -1) : path;
    const parent = valueAt(out, JSON.stringify(target.slice(0, -1)));
    const last = target.at(-1)!;
    if (last.startsWith('f:') && isObj(parent)) delete parent[last.slice(2)];
    else if (last.startsWith('k:') && Array.isArray(parent)) {
      const at = parent.findIndex((item) => matchesKey(item, last));
      if (at >= 0) parent.splice(at, 1);
    }
  }
  return out;
}

function matchesKey(item: unknown, element: string): boolean {
  if (!isObj(item)) return false;
  return Object.entries(JSON.parse(element.slice(2)) as Obj).every(([k, v]) => sameValue(item[k], v));
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

