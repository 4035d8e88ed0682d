// The seed's kubecfg verbs, spoken in v1beta1: create / list / get / delete / update on
// `pods|services|replicationControllers|minions`, and resize / stop / rm / run on controllers.
import YAML from 'yaml';
import type { ResourceInfo } from '@coxswain/objects';
import { CliError } from './cli-error';
import { CommandContext, print } from './command-context';
import { isConflict } from './error-report';
import { contextForObject } from './manifest-namespace';
import { readManifests } from './manifest-reader';
import { num, JsonObject } from '@coxswain/objects';
import { resolveKind, splitKindName } from './resource-kind';
import { seedTable } from './seed-printer';
import { nameOf, resourceVersionOf, setResourceVersion, versionOf } from './wire-object';

export interface SeedOutput {
  json?: boolean;
  yaml?: boolean;
}

function printSeed(ctx: CommandContext, info: ResourceInfo, objects: JsonObject[], out: SeedOutput, asList = false, withNamespace = false): void {
  if (out.json) print(ctx, JSON.stringify(asList ? { kind: `${info.kind}List`, apiVersion: 'v1beta1', items: objects } : objects[0], null, 2));
  else if (out.yaml) print(ctx, YAML.stringify(asList ? { kind: `${info.kind}List`, apiVersion: 'v1beta1', items: objects } : objects[0]));
  else print(ctx, seedTable(info.resource, objects, { withNamespace }));
}

async function readOne(ctx: CommandContext, file: string | undefined, verb: string): Promise<JsonObject> {
  if (!file) throw new CliError(`error: ${verb} needs a manifest: kubecfg -c FILE ${verb} ... (-c - reads stdin)`);
  const manifests = await readManifests(file, ctx.io);
  if (manifests.length !== 1) throw new CliError(`error: ${file} holds ${manifests.length} objects; ${verb} takes one (use apply -f for several)`);
  return manifests[0].object;
}

/** A manifest written in v1 is sent as v1, then read back in v1beta1 to print the seed's table. */
async function asSeed(ctx: CommandContext, info: ResourceInfo, obj: JsonObject): Promise<JsonObject> {
  return versionOf(obj) === 'v1beta1' ? obj : ctx.client.get('v1beta1', info.resource, nameOf(obj));
}

export async function seedCreate(command: CommandContext, kind: string, file: string | undefined, out: SeedOutput): Promise<void> {
  const info = resolveKind(kind);
  const body = await readOne(command, file, `create ${kind}`);
  const ctx = contextForObject(command, info, body, file ?? '-');
  const created = await ctx.client.create(versionOf(body), info.resource, body);
  printSeed(ctx, info, [await asSeed(ctx, info, created)], out);
}

/** With allNamespaces, the table gains a Namespace column first (for namespaced kinds). */
export async function seedList(ctx: CommandContext, kind: string, selector: string | undefined, out: SeedOutput, allNamespaces = false): Promise<void> {
  const info = resolveKind(kind);
  const list = await ctx.client.list('v1beta1', info.resource, { labelSelector: selector, allNamespaces });
  printSeed(ctx, info, list.items, out, true, allNamespaces && info.namespaced);
}

export async function seedGet(ctx: CommandContext, target: string, out: SeedOutput): Promise<void> {
  const { info, name } = splitKindName(target);
  if (!name) throw new CliError(`error: get ${target} needs a name: kubecfg get ${target}/ID`);
  printSeed(ctx, info, [await ctx.client.get('v1beta1', info.resource, name)], out);
}

export async function seedDelete(ctx: CommandContext, target: string): Promise<void> {
  const { info, name } = splitKindName(target);
  if (!name) throw new CliError(`error: delete ${target} needs a name: kubecfg delete ${target}/ID`);
  await ctx.client.delete('v1beta1', info.resource, name);
  print(ctx, `${info.resource}/${name} deleted`);
}

export async function seedUpdate(command: CommandContext, target: string, file: string | undefined, out: SeedOutput): Promise<void> {
  const { info, name } = splitKindName(target);
  if (!name) throw new CliError(`error: update ${target} needs a name: kubecfg -c FILE update ${target}/ID`);
  const body = await readOne(command, file, `update ${target}`);
  const ctx = contextForObject(command, info, body, file ?? '-');
  const version = versionOf(body);
  if (nameOf(body) && nameOf(body) !== name) throw new CliError(`error: ${file} describes "${nameOf(body)}", not "${name}"`);
  // Without a resourceVersion in the file, update what is there now (the seed's behaviour), retrying
  // if another writer gets in between; with one, the server checks it and a stale one is a Conflict.
  const own = !resourceVersionOf(body);
  let updated: JsonObject;
  for (let attempt = 0; ; attempt++) {
    if (own) setResourceVersion(body, version, resourceVersionOf(await ctx.client.get(version, info.resource, name)));
    try {
      updated = await ctx.client.update(version, info.resource, name, body);
      break;
    } catch (e) {
      if (!own || !isConflict(e) || attempt >= 4) throw e;
    }
  }
  printSeed(ctx, info, [await asSeed(ctx, info, updated)], out);
}

/** Read-modify-write of a v1beta1 controller, retried when another writer got there first. */
export async function updateController(ctx: CommandContext, name: string, change: (rc: JsonObject) => void): Promise<JsonObject> {
  for (let attempt = 0; ; attempt++) {
    const rc = await ctx.client.get('v1beta1', 'replicationControllers', name);
    change(rc);
    try {
      return await ctx.client.update('v1beta1', 'replicationControllers', name, rc);
    } catch (e) {
      if (!isConflict(e) || attempt >= 4) throw e;
    }
  }
}

function parseReplicas(value: unknown): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`error: replicas must be a whole number >= 0, not "${String(value)}"`);
  return n;
}

export async function seedResize(ctx: CommandContext, name: string, replicas: unknown, out: SeedOutput): Promise<void> {
  const n = parseReplicas(replicas);
  const rc = await updateController(ctx, name, (rc) => {
    rc.desiredState = { ...(rc.desiredState as JsonObject), replicas: n };
  });
  printSeed(ctx, resolveKind('replicationControllers'), [rc], out);
}

export async function seedRm(ctx: CommandContext, name: string): Promise<void> {
  const rc = await ctx.client.get('v1beta1', 'replicationControllers', name);
  const replicas = num(rc, 'desiredState.replicas') ?? 0;
  if (replicas > 0) {
    throw new CliError(`error: controller ${name} still has ${replicas} replicas; stop it first: kubecfg stop ${name}`);
  }
  await ctx.client.delete('v1beta1', 'replicationControllers', name);
  print(ctx, `replicationControllers/${name} deleted`);
}

/** `-p 8080:80` -> hostPort 8080, containerPort 80; `-p 80` -> containerPort 80 only. */
export function parsePortSpec(spec: string): { containerPort: number; hostPort?: number } {
  const m = /^(?:(\d+):)?(\d+)$/.exec(spec.trim());
  const valid = (p: number) => p >= 1 && p <= 65535;
  if (!m || (m[1] !== undefined && !valid(Number(m[1]))) || !valid(Number(m[2]))) {
    throw new CliError(`error: -p takes HOSTPORT:CONTAINERPORT (ports 1-65535), not "${spec}"`);
  }
  return m[1] !== undefined ? { containerPort: Number(m[2]), hostPort: Number(m[1]) } : { containerPort: Number(m[2]) };
}

/** The controller `kubecfg run IMAGE REPLICAS NAME` creates, as 2014's kubecfg built it. */
export function runController(image: string, replicas: number, name: string, port?: string): JsonObject {
  const container: JsonObject = {
    name: name.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '') || 'container',
    image,
  };
  if (port) container.ports = [parsePortSpec(port)];
  return {
    id: name,
    kind: 'ReplicationController',
    apiVersion: 'v1beta1',
    desiredState: {
      replicas,
      replicaSelector: { name },
      podTemplate: {
        desiredState: { manifest: { version: 'v1beta1', id: name, containers: [container] } },
        labels: { name },
      },
    },
    labels: { name },
  };
}

export async function seedRun(ctx: CommandContext, image: string, replicas: unknown, name: string, port: string | undefined, out: SeedOutput): Promise<void> {
  const created = await ctx.client.create('v1beta1', 'replicationControllers', runController(image, parseReplicas(replicas), name, port));
  printSeed(ctx, resolveKind('replicationControllers'), [created], out);
}
