// `kubecfg apply`: for each manifest, create it if missing, else three-way merge it onto the live
// object and write only when something changed. The file as applied is kept in the object's
// last-applied annotation, so the next apply knows which fields the file used to set.
import { deepEqual, resolveResource } from '@coxswain/objects';
import type { ResourceInfo } from '@coxswain/objects';
import { CliError } from './cli-error';
import type { CommandContext } from './command-context';
import { contextForObject } from './manifest-namespace';
import { isConflict, isNotFound } from './error-report';
import type { Manifest } from './manifest-reader';
import { isObject, JsonObject } from '@coxswain/objects';
import { objectRef } from './object-printer';
import { LAST_APPLIED_ANNOTATION, threeWayMerge } from './three-way-merge';
import { annotationsOf, nameOf, setAnnotation, versionOf, withoutAnnotation } from './wire-object';
import type { WireVersion } from './cluster-client';

export type ApplyAction = 'created' | 'configured' | 'unchanged';

export interface ApplyResult {
  info: ResourceInfo;
  name: string;
  version: WireVersion;
  /** Where it was applied (the manifest's own namespace, or the command's). */
  namespace: string;
  action: ApplyAction;
  /** What changed (or would change, on a dry run): `spec.replicas: 2 -> 3`. */
  changes: string[];
  object: JsonObject;
}

export function manifestTarget(m: Manifest): { info: ResourceInfo; name: string; version: WireVersion } {
  const kind = typeof m.object.kind === 'string' ? m.object.kind : '';
  if (!kind) throw new CliError(`error: ${m.source}: an object has no "kind"`);
  const info = resolveResource(kind);
  if (!info) throw new CliError(`error: ${m.source}: unknown kind "${kind}"`);
  const name = nameOf(m.object);
  if (!name) throw new CliError(`error: ${m.source}: a ${kind} has no name (metadata.name or id)`);
  return { info, name, version: versionOf(m.object) };
}

const IGNORED_IN_DIFF = new Set(['resourceVersion', 'generation', 'uid', 'creationTimestamp', 'status', 'currentState']);

/** Field paths whose values differ between two objects, for `--dry-run` and verbose output. */
export function diffPaths(before: unknown, after: unknown, prefix = ''): string[] {
  if (deepEqual(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => (prefix === '' && IGNORED_IN_DIFF.has(k) ? [] : diffPaths(before[k], after[k], prefix ? `${prefix}.${k}` : k)));
  }
  const show = (v: unknown) => (v === undefined ? '<none>' : JSON.stringify(v));
  const text = `${show(before)} -> ${show(after)}`;
  return [`${prefix || '.'}: ${text.length > 160 ? '(changed)' : text}`];
}

export async function applyManifest(ctx: CommandContext, m: Manifest, dryRun: boolean): Promise<ApplyResult> {
  // The merge is recomputed on the current object when another writer (often a status write) got in first.
  for (let attempt = 0; ; attempt++) {
    try {
      return await applyOnce(ctx, m, dryRun);
    } catch (e) {
      if (!isConflict(e) || attempt >= 4) throw e;
    }
  }
}

async function applyOnce(command: CommandContext, m: Manifest, dryRun: boolean): Promise<ApplyResult> {
  const { info, name, version } = manifestTarget(m);
  const ctx = contextForObject(command, info, m.object, m.source);
  const namespace = ctx.client.namespace;
  // The file as the user wrote it (never a stale annotation of its own) is what gets recorded.
  const modified = withoutAnnotation(m.object, version, LAST_APPLIED_ANNOTATION);
  const recorded = JSON.stringify(modified);
  let live: JsonObject | undefined;
  try {
    live = await ctx.client.get(version, info.resource, name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (!live) {
    const body = JSON.parse(recorded) as JsonObject;
    setAnnotation(body, version, LAST_APPLIED_ANNOTATION, recorded);
    const object = dryRun ? body : await ctx.client.create(version, info.resource, body);
    return { info, name, version, namespace, action: 'created', changes: [], object };
  }
  const previous = annotationsOf(live, version)[LAST_APPLIED_ANNOTATION];
  let original: JsonObject | undefined;
  try {
    original = previous ? (JSON.parse(previous) as JsonObject) : undefined;
  } catch {
    original = undefined;
  }
  const merged = threeWayMerge(original, modified, live);
  setAnnotation(merged, version, LAST_APPLIED_ANNOTATION, recorded);
  const changes = diffPaths(live, merged);
  if (changes.length === 0) return { info, name, version, namespace, action: 'unchanged', changes, object: live };
  const object = dryRun ? merged : await ctx.client.update(version, info.resource, name, merged);
  return { info, name, version, namespace, action: 'configured', changes, object };
}

export function applyLine(r: ApplyResult, dryRun: boolean): string {
  return `${objectRef(r.info.kind, r.name)} ${r.action}${dryRun ? ' (dry run)' : ''}`;
}
