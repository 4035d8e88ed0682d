// The kubectl-style verbs that work on internal (v1) objects: get, delete, scale, logs, version.
import type { ResourceInfo } from '@coxswain/objects';
import YAML from 'yaml';
import { CliError } from './cli-error';
import { CommandContext, print } from './command-context';
import { contextForObject } from './manifest-namespace';
import { isConflict } from './error-report';
import { readManifests } from './manifest-reader';
import { JsonObject, str } from '@coxswain/objects';
import { objectRef, OutputFormat, printObjects } from './object-printer';
import { manifestTarget } from './applier';
import { watchAndPrint } from './resource-watcher';
import { resolveKind, splitKindName } from './resource-kind';
import { nameOf } from './wire-object';

export const CLIENT_VERSION = 'v0.1.0';

export interface GetOptions {
  selector?: string;
  format: OutputFormat;
  watch: boolean;
  /** `-A`: every namespace, with a NAMESPACE column. */
  allNamespaces?: boolean;
  maxEvents?: number;
}

export async function getObjects(ctx: CommandContext, info: ResourceInfo, name: string | undefined, opts: GetOptions): Promise<void> {
  const allNamespaces = Boolean(opts.allNamespaces);
  // As kubectl: a name is only unique within one namespace.
  if (allNamespaces && name && info.namespaced) throw new CliError('error: a resource cannot be retrieved by name across all namespaces; use -n NAMESPACE');
  if (opts.watch) return watchAndPrint(ctx, info, { name, labelSelector: opts.selector, format: opts.format, maxEvents: opts.maxEvents, allNamespaces });
  const items: JsonObject[] = name
    ? [await ctx.client.get('v1', info.resource, name)]
    : (await ctx.client.list('v1', info.resource, { labelSelector: opts.selector, allNamespaces })).items;
  if (items.length === 0 && (opts.format === 'table' || opts.format === 'wide')) {
    const where = info.namespaced && !allNamespaces ? ` in namespace ${ctx.client.namespace}` : '';
    ctx.io.stderr.write(`No ${info.resource} found${where}.\n`);
    return;
  }
  // A single named object prints as itself in json/yaml; a list prints as a List.
  print(ctx, printObjects(info.resource, info.kind, items, opts.format, ctx.clock.now(), allNamespaces && info.namespaced));
}

export interface DeleteOptions {
  kind?: string;
  name?: string;
  file?: string;
  selector?: string;
}

export async function deleteObjects(ctx: CommandContext, opts: DeleteOptions): Promise<void> {
  const targets: { info: ResourceInfo; name: string; version: 'v1' | 'v1beta1'; ctx: CommandContext }[] = [];
  if (opts.file) {
    for (const m of await readManifests(opts.file, ctx.io)) {
      const t = manifestTarget(m);
      targets.push({ ...t, ctx: contextForObject(ctx, t.info, m.object, m.source) });
    }
  } else if (opts.kind) {
    const split = splitKindName(opts.kind);
    const name = split.name ?? opts.name;
    if (name) targets.push({ info: split.info, name, version: 'v1', ctx });
    else if (opts.selector !== undefined) {
      const list = await ctx.client.list('v1', split.info.resource, { labelSelector: opts.selector });
      for (const item of list.items) targets.push({ info: split.info, name: nameOf(item), version: 'v1', ctx });
      if (list.items.length === 0) print(ctx, `No ${split.info.resource} found${split.info.namespaced ? ` in namespace ${ctx.client.namespace}` : ''}.`);
    } else throw new CliError(`error: delete ${opts.kind} needs a NAME, -l SELECTOR or -f FILE`);
  } else throw new CliError('error: delete needs KIND NAME, KIND -l SELECTOR or -f FILE');
  for (const t of targets) {
    await t.ctx.client.delete(t.version, t.info.resource, t.name);
    print(ctx, `${objectRef(t.info.kind, t.name)} deleted`);
  }
}

/** `scale rc|deployment NAME --replicas N`: read-modify-write of spec.replicas, retried on a concurrent change. */
export async function scaleController(ctx: CommandContext, kind: string, name: string | undefined, replicas: unknown): Promise<void> {
  const split = splitKindName(kind);
  const target = split.name ?? name;
  const { resource } = split.info;
  if (resource !== 'replicationControllers' && resource !== 'deployments') {
    throw new CliError(`error: cannot scale ${resource}; only replicationControllers (rc) and deployments scale`);
  }
  if (!target) throw new CliError(`error: scale needs a name: kubecfg scale ${kind} NAME --replicas N`);
  const n = Number(replicas);
  if (replicas === undefined || !Number.isInteger(n) || n < 0) throw new CliError('error: --replicas N is required and must be a whole number >= 0');
  for (let attempt = 0; ; attempt++) {
    const obj = await ctx.client.get('v1', resource, target);
    (obj.spec as JsonObject).replicas = n;
    try {
      await ctx.client.update('v1', resource, target, obj);
      break;
    } catch (e) {
      if (!isConflict(e) || attempt >= 4) throw e;
    }
  }
  print(ctx, `${objectRef(split.info.kind, target)} scaled`);
}

/**
 * `patch KIND NAME -p PATCH`: a JSON merge patch (JSON or YAML text, in v1 terms as kubectl's), sent
 * as is; the server applies it to the current object, so a concurrent change is never overwritten.
 */
export async function patchObject(ctx: CommandContext, kind: string, name: string | undefined, patchText: unknown, type: unknown): Promise<void> {
  const split = splitKindName(kind);
  const target = split.name ?? name;
  if (!target) throw new CliError(`error: patch needs a name: kubecfg patch ${kind} NAME -p PATCH`);
  if (type !== undefined && type !== 'merge') throw new CliError(`error: --type ${String(type)} is not supported; the server takes merge patches (--type merge, RFC 7386)`);
  if (typeof patchText !== 'string' || patchText.trim() === '') throw new CliError(`error: patch needs -p PATCH, e.g. -p '{"spec":{"replicas":3}}'`);
  let patch: unknown;
  try {
    patch = YAML.parse(patchText);
  } catch (e) {
    throw new CliError(`error: -p is not valid JSON or YAML: ${e instanceof Error ? e.message.split('\n')[0] : e}`);
  }
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new CliError(`error: -p must be an object (a merge patch), e.g. '{"metadata":{"labels":{"tier":"web"}}}'`);
  await ctx.client.patch('v1', split.info.resource, target, patch as JsonObject);
  print(ctx, `${objectRef(split.info.kind, target)} patched`);
}

export async function streamLogs(ctx: CommandContext, pod: string, opts: { container?: string; follow?: boolean; tail?: number }): Promise<void> {
  const stream = await ctx.client.logs(pod, { ...opts, signal: ctx.io.signal });
  try {
    for await (const chunk of stream) ctx.io.stdout.write(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  } catch (e) {
    if (!ctx.io.signal?.aborted) throw e;
  }
}

export async function printVersion(ctx: CommandContext): Promise<void> {
  print(ctx, `Client Version: ${CLIENT_VERSION}`);
  const server = await ctx.client.serverVersion();
  print(ctx, `Server Version: ${server ? str(server, 'gitVersion') || JSON.stringify(server) : 'unknown'} (${ctx.client.server})`);
}

export { resolveKind };
