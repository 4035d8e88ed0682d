// OpenAPI v3 of the v1 side, generated from the JSON Schemas the server validates with, so kubectl
// validates against what is served (it sees `fieldValidation` on each write and leaves validation
// to the server), answers `explain`, and knows the keyed lists (x-kubernetes-patch-merge-key and
// list-map-keys, from the one table in objects/patch-merge-keys.ts). `/openapi/v3` is the index of
// group versions; each document is built once per process and named by its hash, as kubectl caches
// it. OpenAPI v2 is not served: kubectl 1.32 reads v3 and only falls back to v2 when v3 is missing.
import { createHash } from 'node:crypto';
import { PATCH_MERGE_KEYS, RESOURCES, apiPathPrefix, servedIn, v1SchemaSources, wireNames } from '@coxswain/objects';
import type { ResourceInfo } from '@coxswain/objects';

type Json = Record<string, unknown>;

interface Built {
  text: string;
  hash: string;
}

/** Kubernetes' schema names: `io.k8s.api.core.v1.Pod`, `io.k8s.api.apps.v1.Deployment`. */
function schemaName(group: string, version: string, kind: string): string {
  return `io.k8s.api.${group || 'core'}.${version}.${kind}`;
}

const DROPPED = new Set(['$schema', '$id', 'definitions', 'x-message']);

/**
 * A JSON Schema (draft-07) node as an OpenAPI 3.0 schema: `$ref`s into defs.json inlined (each kind's
 * document stands alone), `const` as a one-value enum, integer-or-string as Kubernetes marks it, and
 * the lists named in the merge-key table marked as keyed. `path` is the dotted path from the object's
 * root, list elements skipped, as the table writes it.
 */
function convert(node: unknown, defs: Record<string, Json>, path: string[], mergeKeys: Readonly<Record<string, string>>): unknown {
  if (Array.isArray(node)) return node.map((n) => convert(n, defs, path, mergeKeys));
  if (typeof node !== 'object' || node === null) return node;
  const src = node as Json;
  if (typeof src.$ref === 'string') {
    const name = src.$ref.split('/').pop()!;
    return convert(defs[name], defs, path, mergeKeys);
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(src)) {
    if (DROPPED.has(key)) continue;
    if (key === 'const') out.enum = [value];
    else if (key === 'type' && Array.isArray(value)) out['x-kubernetes-int-or-string'] = true;
    else if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Json).map(([prop, sub]) => [prop, convert(sub, defs, [...path, prop], mergeKeys)]));
    } else out[key] = convert(value, defs, path, mergeKeys);
  }
  const mergeKey = out.type === 'array' ? mergeKeys[path.join('.')] : undefined;
  if (mergeKey) {
    out['x-kubernetes-patch-merge-key'] = mergeKey;
    out['x-kubernetes-patch-strategy'] = 'merge';
    out['x-kubernetes-list-type'] = 'map';
    out['x-kubernetes-list-map-keys'] = [mergeKey];
  }
  return out;
}

const queryParam = (name: string, description: string) => ({ name, in: 'query', description, schema: { type: 'string' }, uniqueItems: true });
const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const WRITE_PARAMS = [
  queryParam('dryRun', 'All: run every check and store nothing.'),
  queryParam('fieldManager', 'The name of the writer (server-side apply).'),
  queryParam('fieldValidation', 'Ignore, Warn or Strict: what the server does with unknown or duplicate fields.'),
];
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

function pathsOf(info: ResourceInfo, group: string, version: string, ref: Json): Record<string, Json> {
  const gv = group ? `${group}/${version}` : version;
  const { resource, kind } = wireNames(info, gv);
  const gvk = { group, version, kind };
  const base = `${apiPathPrefix(group, version)}${info.namespaced ? '/namespaces/{namespace}' : ''}/${resource}`;
  const scope = info.namespaced ? [pathParam('namespace')] : [];
  const ok = { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } };
  const op = (action: string, verb: string, parameters: unknown[], bodyTypes?: string[]) => ({
    operationId: `${verb}${kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    parameters,
    ...(bodyTypes ? { requestBody: { content: Object.fromEntries(bodyTypes.map((t) => [t, { schema: ref }])), required: true } } : {}),
    responses: ok,
  });
  const one = [...scope, pathParam('name')];
  return {
    [base]: { get: op('list', 'list', scope), post: op('post', 'create', [...scope, ...WRITE_PARAMS], ['application/json', 'application/yaml']) },
    [`${base}/{name}`]: {
      get: op('get', 'read', one),
      put: op('put', 'replace', [...one, ...WRITE_PARAMS], ['application/json', 'application/yaml']),
      patch: op('patch', 'patch', [...one, ...WRITE_PARAMS, queryParam('force', 'Take fields another manager owns (apply).')], PATCH_TYPES),
      delete: op('delete', 'delete', [...one, queryParam('dryRun', 'All: run every check and store nothing.')]),
    },
  };
}

/** The OpenAPI document of one group version (`v1`, `apps/v1`). */
function buildDocument(gv: string): Built {
  const [group, version] = gv.includes('/') ? (gv.split('/') as [string, string]) : ['', gv];
  const { kinds, definitions } = v1SchemaSources();
  const schemas: Json = {};
  let paths: Json = {};
  for (const info of RESOURCES.filter((r) => servedIn(r, gv))) {
    const { kind } = wireNames(info, gv);
    const name = schemaName(group, version, kind);
    const schema = convert(kinds[info.resource], definitions, [], PATCH_MERGE_KEYS[info.kind] ?? {}) as Json;
    const properties = { ...(schema.properties as Json), apiVersion: { type: 'string' }, kind: { type: 'string' } };
    schemas[name] = { ...schema, properties, 'x-kubernetes-group-version-kind': [{ group, version, kind }] };
    paths = { ...paths, ...pathsOf(info, group, version, { $ref: `#/components/schemas/${name}` }) };
  }
  const text = JSON.stringify({ openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0+coxswain' }, paths, components: { schemas } });
  return { text, hash: createHash('sha512').update(text).digest('hex').slice(0, 64).toUpperCase() };
}

/** The group versions documented: the v1 side (the seed's v1beta1 is not announced to kubectl). */
function documentedVersions(served: readonly string[]): string[] {
  return served.filter((gv) => gv !== 'v1beta1' && RESOURCES.some((r) => servedIn(r, gv)));
}

export class OpenApiV3 {
  private readonly docs = new Map<string, Built>();

  constructor(private readonly served: readonly string[]) {}

  private doc(gv: string): Built | undefined {
    if (!documentedVersions(this.served).includes(gv)) return undefined;
    let built = this.docs.get(gv);
    if (!built) {
      built = buildDocument(gv);
      this.docs.set(gv, built);
    }
    return built;
  }

  /** `/openapi/v3`: each group version's document, by its URL with the hash. */
  index(): Json {
    const paths: Json = {};
    for (const gv of documentedVersions(this.served)) {
      const rel = gv.includes('/') ? `apis/${gv}` : `api/${gv}`;
      paths[rel] = { serverRelativeURL: `/openapi/v3/${rel}?hash=${this.doc(gv)!.hash}` };
    }
    return { paths };
  }

  /** One group version's document as JSON text, and its ETag; undefined when not served. */
  document(gv: string): { text: string; etag: string } | undefined {
    const built = this.doc(gv);
    return built && { text: built.text, etag: `"${built.hash}"` };
  }
}
