// JSON Schema validation of objects against the repo's `schemas/<version>/<kind>.json`.
// One ajv instance; each schema is compiled the first time it is used and kept.
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import type { FieldCause } from '../errors';
import type { ResourceName } from '../resources';
import { causesFromAjv } from './ajv-causes';

/** Wire/storage versions that have schemas. `v1` is the internal form served as-is. */
export type SchemaVersion = 'internal' | 'v1beta1' | 'v1';

const SCHEMA_FILE: Record<ResourceName, string> = {
  pods: 'pod',
  replicationControllers: 'replicationController',
  deployments: 'deployment',
  horizontalpodautoscalers: 'horizontalPodAutoscaler',
  services: 'service',
  minions: 'minion',
  endpoints: 'endpoints',
  events: 'event',
  resourcequotas: 'resourceQuota',
  limitranges: 'limitRange',
  namespaces: 'namespace',
  configmaps: 'configMap',
  secrets: 'secret',
};

const BASE_ID = 'https://coxswain.local/schemas';

/**
 * The repo's `schemas/` directory. This file runs from `packages/objects/src/validation` (ts-jest) or
 * `packages/objects/dist/validation` (node): both are four levels below the repo root. We search
 * upwards rather than hard-code the depth, so a bundled or relocated copy still finds them;
 * COXSWAIN_SCHEMAS_DIR overrides.
 */
export function schemasDir(): string {
  const override = process.env.COXSWAIN_SCHEMAS_DIR;
  if (override) return override;
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, 'schemas');
    if (fs.existsSync(path.join(candidate, 'internal', 'defs.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find the schemas/ directory above ${__dirname} (set COXSWAIN_SCHEMAS_DIR)`);
}

let ajv: Ajv | undefined;
const loadedDirs = new Set<string>();
const compiled = new Map<string, ValidateFunction>();

function instance(): Ajv {
  if (!ajv) {
    // verbose: errors carry their parentSchema, so a schema's `x-message` can word the error.
    ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });
    ajv.addVocabulary(['x-message']);
  }
  return ajv;
}

/** Adds every schema file of one version directory (defs and kinds) so `$ref`s resolve. */
function loadVersion(dirName: string): void {
  if (loadedDirs.has(dirName)) return;
  const dir = path.join(schemasDir(), dirName);
  const a = instance();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const schema = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const expectedId = `${BASE_ID}/${dirName}/${file}`;
    if (schema.$id !== expectedId) throw new Error(`schema ${dirName}/${file} has $id ${schema.$id}, expected ${expectedId}`);
    a.addSchema(schema);
  }
  loadedDirs.add(dirName);
}

function validatorFor(version: SchemaVersion, resource: ResourceName): ValidateFunction {
  const dirName = version === 'v1beta1' ? 'v1beta1' : 'internal';
  const file = SCHEMA_FILE[resource];
  if (!file) throw new Error(`no schema for resource ${String(resource)}`);
  const id = `${BASE_ID}/${dirName}/${file}.json`;
  let fn = compiled.get(id);
  if (!fn) {
    // v1beta1's defs borrow the newer shapes (volume sources, env sources) from the internal ones.
    loadVersion('internal');
    loadVersion(dirName);
    fn = instance().getSchema(id);
    if (!fn) throw new Error(`schema ${id} not found`);
    compiled.set(id, fn);
  }
  return fn;
}

/** Validates a body against the schema of one version and resource. Returns [] when valid. */
export function validateSchema(version: SchemaVersion, resource: ResourceName, body: unknown): FieldCause[] {
  const fn = validatorFor(version, resource);
  if (fn(body)) return [];
  return causesFromAjv(fn.errors ?? []);
}

/**
 * The v1 (internal) schemas as written: each kind's schema and the shared definitions of defs.json,
 * for documents generated from them (the API's OpenAPI). `$ref`s point into `defs.json#/definitions/`.
 */
export function v1SchemaSources(): { kinds: Record<ResourceName, Record<string, unknown>>; definitions: Record<string, Record<string, unknown>> } {
  const dir = path.join(schemasDir(), 'internal');
  const read = (file: string) => JSON.parse(fs.readFileSync(path.join(dir, `${file}.json`), 'utf8')) as Record<string, unknown>;
  const kinds = Object.fromEntries(Object.entries(SCHEMA_FILE).map(([resource, file]) => [resource, read(file)])) as Record<ResourceName, Record<string, unknown>>;
  return { kinds, definitions: read('defs').definitions as Record<string, Record<string, unknown>> };
}
