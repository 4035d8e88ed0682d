// OpenAPI v3 documents generated from the repo's JSON Schemas (schemas/internal: the v1 shapes), one
// per group version, as kubectl reads them for client-side validation, `explain` and apply. Each
// served kind's schema carries x-kubernetes-group-version-kind; each keyed list (the one table,
// patch-merge-keys.ts) carries the patch-merge-key/strategy and list-type map extensions that
// strategic merge and server-side apply read. Built once per process; the hash in the index is the
// document's ETag.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PATCH_MERGE_KEYS, RESOURCES, apiPathPrefix, groupVersion, schemasDir } from '@coxswain/objects';
import type { ResourceInfo } from '@coxswain/objects';

type Schema = Record<string, unknown>;

const PREFIX = 'io.coxswain.v1.';
const REF = /^(?:defs\.json)?#\/definitions\/(.+)$/;

export interface OpenApiDocument {
  body: string;
  hash: string;
}

/** `api/v1`, `apis/apps/v1`, ...: the index key of a group version, as Kubernetes spells it. */
export function openApiPathOf(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

let built: Map<string, OpenApiDocument> | undefined;

/** Index key -> document, for every group version serving a kind with a v1 shape. */
export function openApiV3Documents(): ReadonlyMap<string, OpenApiDocument> {
  built ??= build(schemasDir());
  return built;
}

/** The `/openapi/v3` index. */
export function openApiV3Index(): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [key, doc] of openApiV3Documents()) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${doc.hash}` };
  return { paths };
}

function build(dir: string): Map<string, OpenApiDocument> {
  const read = (file: string): Schema => JSON.parse(fs.readFileSync(path.join(dir, 'internal', file), 'utf8')) as Schema;
  const defs = (read('defs.json').definitions ?? {}) as Record<string, Schema>;
  const byGroupVersion = new Map<string, { group: string; version: string; kinds: ResourceInfo[] }>();
  for (const r of RESOURCES) {
    const version = r.versions.includes('v1') ? 'v1' : r.versions[r.versions.length - 1];
    const key = openApiPathOf(r.group, version);
    const entry = byGroupVersion.get(key) ?? { group: r.group, version, kinds: [] };
    entry.kinds.push(r);
    byGroupVersion.set(key, entry);
  }
  const out = new Map<string, OpenApiDocument>();
  for (const [key, { group, version, kinds }] of byGroupVersion) {
    const schemas: Record<string, Schema> = {};
    for (const [name, def] of Object.entries(defs)) schemas[PREFIX + name] = convert(def) as Schema;
    const paths: Record<string, unknown> = {};
    for (const { kind, resource, namespaced } of kinds) {
      const { definitions, ...kindFile } = read(`${kind[0].toLowerCase()}${kind.slice(1)}.json`);
      // A kind file's own definitions join the shared ones (its local refs point at the same names).
      for (const [name, def] of Object.entries((definitions ?? {}) as Record<string, Schema>)) {
        if (defs[name] && JSON.stringify(defs[name]) !== JSON.stringify(def)) throw new Error(`schema definition ${name} differs between defs.json and ${kind}`);
        schemas[PREFIX + name] = convert(def) as Schema;
      }
      const schema = convert(kindFile) as Schema;
      schema['x-kubernetes-group-version-kind'] = [{ group, version, kind }];
      schemas[PREFIX + kind] = schema;
      markKeyedLists(schema, PATCH_MERGE_KEYS[kind] ?? {}, schemas);
      const collection = collectionPath(group, version, resource.toLowerCase(), namespaced);
      paths[collection] = collectionOperations({ group, version, kind });
      paths[`${collection}/{name}`] = itemOperations({ group, version, kind });
    }
    const doc = { openapi: '3.0.0', info: { title: 'Coxswain', version: groupVersion(group, version) }, paths, components: { schemas } };
    const body = JSON.stringify(doc);
    out.set(key, { body, hash: createHash('sha512').update(body).digest('hex').slice(0, 32).toUpperCase() });
  }
  return out;
}

function collectionPath(group: string, version: string, resource: string, namespaced: boolean): string {
  return `${apiPathPrefix(group, version)}${namespaced ? '/namespaces/{namespace}' : ''}/${resource}`;
}

type Gvk = { group: string; version: string; kind: string };

const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'];

function operation(gvk: Gvk, action: string, params: string[]): unknown {
  return {
    operationId: `${action}${gvk.kind}`,
    'x-kubernetes-action': action,
    // kubectl finds a resource's kind for `explain` through this extension on its paths, and asks
    // the PATCH operation's parameters whether the server validates fields (fieldValidation) and
    // runs dry (dryRun) before it leaves validation to the server.
    'x-kubernetes-group-version-kind': gvk,
    parameters: params.map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string' } })),
    responses: { '200': { description: 'OK' } },
  };
}

function collectionOperations(gvk: Gvk): unknown {
  return { get: operation(gvk, 'list', ['labelSelector', 'fieldSelector', 'watch']), post: operation(gvk, 'post', WRITE_PARAMS) };
}

function itemOperations(gvk: Gvk): unknown {
  return {
    get: operation(gvk, 'get', []),
    put: operation(gvk, 'put', WRITE_PARAMS),
    patch: operation(gvk, 'patch', [...WRITE_PARAMS, 'force']),
    delete: operation(gvk, 'delete', ['dryRun']),
  };
}

/** JSON Schema draft-07 -> OpenAPI 3.0 schema: refs into components, const as a one-value enum, ids dropped. */
function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert);
  if (typeof node !== 'object' || node === null) return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$schema' || k === '$id' || k === 'x-message' || k === 'title') continue;
    if (k === '$ref' && typeof v === 'string') out.$ref = `#/components/schemas/${PREFIX}${REF.exec(v)?.[1] ?? v}`;
    else if (k === 'const') out.enum = [v];
    else out[k] = convert(v);
  }
  return out;
}

/** Puts the keyed-list extensions on each list the table names, following refs into the shared schemas. */
function markKeyedLists(kindSchema: Schema, keys: Readonly<Record<string, string>>, schemas: Record<string, Schema>): void {
  for (const [dotted, key] of Object.entries(keys)) {
    let node: Schema | undefined = kindSchema;
    for (const field of dotted.split('.')) {
      node = itemsOf(resolve(node, schemas), schemas);
      node = (resolve(node, schemas)?.properties as Record<string, Schema> | undefined)?.[field];
    }
    const list = resolve(node, schemas);
    if (list?.type !== 'array') continue;
    Object.assign(list, {
      'x-kubernetes-patch-merge-key': key,
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': [key],
    });
  }
}

function resolve(node: Schema | undefined, schemas: Record<string, Schema>): Schema | undefined {
  const ref = node?.$ref;
  return typeof ref === 'string' ? schemas[ref.replace('#/components/schemas/', '')] : node;
}

/** Steps through a list to its element schema (paths in the table skip list elements). */
function itemsOf(node: Schema | undefined, schemas: Record<string, Schema>): Schema | undefined {
  return node?.type === 'array' ? resolve(node.items as Schema, schemas) : node;
}
