// The REST verbs on one resource: list, get, create, update (conditional or unconditional), status
// update, patch (merge, strategic merge, JSON), delete. Every body goes codec.validate -> codec.decode -> the registry, which
// applies the kind's rules and validates; its errors come back through toStatus with the codec's paths.
import { createLogger } from '@coxswain/process';
import { NotFoundError, wireNames } from '@coxswain/objects';
import type { KubeObject, LazyItem, ListOptions, ObjectStore } from '@coxswain/objects';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Codec } from './codecs/codec';
import type { EncodingCache } from './encoding-cache';
import { sendJson, sendJsonText, streamList } from './http-response';
import { listEnvelope } from './list-envelope';
import type { WritePriority } from './write-priority';
import type { NamespaceAdmission } from './namespace-admission';
import { continueFrom, continueToken, exactRevisionOf, limitOf, minRevisionOf, type ContinueFrom } from './list-continue';
import { ageCounter, tableDocument, tableEnvelope, tableRow } from './table';
import { applyMergePatch, type Json } from './merge-patch';
import { applyFieldValidation, isUnknownField, sendWarnings } from './field-validation';
import { applyJsonPatch, parseJsonPatch } from './json-patch';
import { mediaTypeOf, parseJson, parseJsonObject, parseYamlObject, readBody, readObjectBody, unsupportedMediaType } from './request-body';
import { ApplyConflictError, serverSideApply } from './apply/server-side-apply';
import { managerOf, withUpdateManager } from './apply/field-manager';
import { checkResourceVersion, listOptions, objectNamespace, RequestScope } from './request-scope';
import { badRequest, HttpError, invalid, successStatus } from './status';
import { applyStrategicMergePatch, PatchError } from './strategic-merge-patch';

const log = createLogger('apiserver');

export interface RestDeps {
  store: ObjectStore;
  maxBodyBytes: number;
  encodings: EncodingCache;
  /** NamespaceLifecycle for creates (none: any namespace is taken, as in tests of one kind). */
  namespaces?: NamespaceAdmission;
  /** Writes being served, which streamed LISTs let go first. */
  writes?: WritePriority;
}

/**
 * A write's answer. A dry run's object carries the stored resourceVersion with other contents, so it
 * bypasses the encoding cache (whose key is that version) and is encoded on its own.
 */
function sendWritten(deps: RestDeps, res: ServerResponse, code: number, scope: RequestScope, obj: KubeObject): void {
  sendJsonText(res, code, scope.dryRun ? JSON.stringify(scope.codec.encode(obj)) : deps.encodings.encode(scope.codec, scope.info.resource, obj));
}

/** A decoded body, and the warnings (unknown fields dropped under fieldValidation=Warn) its answer carries. */
interface Decoded {
  body: Record<string, unknown>;
  obj: KubeObject;
  warnings: string[];
}

/** Reads, validates (in the wire version's terms) and decodes a request body. */
async function decodeBody(deps: RestDeps, req: IncomingMessage, scope: RequestScope): Promise<Decoded> {
  return decodeWire(scope, await readObjectBody(req, deps.maxBodyBytes));
}

/** Validates (in the wire version's terms) and decodes an object in the URL's version. */
function decodeWire(scope: RequestScope, body: Record<string, unknown>): Decoded {
  const { codec, info } = scope;
  // The version's name for the kind (v1's Node), or the store's (Minion), which older v1 clients of ours send.
  const wireKind = wireNames(info, codec.version).kind;
  if (body.kind !== undefined && body.kind !== wireKind && body.kind !== info.kind) {
    throw badRequest(`body kind "${String(body.kind)}" does not match the resource ${wireNames(info, codec.version).resource} (kind ${wireKind})`, {
      kind: wireKind,
      causes: [{ field: 'kind', message: `must be ${wireKind}`, reason: 'FieldValueInvalid' }],
    });
  }
  if (body.apiVersion !== undefined && body.apiVersion !== codec.version) {
    throw badRequest(`body apiVersion "${String(body.apiVersion)}" does not match the URL's version ${codec.version}`, {
      kind: info.kind,
      causes: [{ field: 'apiVersion', message: `must be ${codec.version}`, reason: 'FieldValueInvalid' }],
    });
  }
  const { failures, warnings } = applyFieldValidation(scope.fieldValidation ?? 'Strict', body, codec.validate(info.resource, body));
  if (failures.length > 0) throw invalid(info.kind, safeName(codec, body), failures.map((c) => ({ ...c, reason: isUnknownField(c) ? 'FieldValueNotFound' : 'FieldValueInvalid' })));
  const obj = codec.decode(info.resource, body);
  obj.metadata ??= { name: '' };
  return { body, obj, warnings };
}

function safeName(codec: Codec, body: unknown): string | undefined {
  try {
    const n = codec.nameOf(body);
    return typeof n === 'string' ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The namespace a write goes to: the request's and the body's must agree. */
function writeNamespace(scope: RequestScope, obj: KubeObject): string {
  const fromBody = obj.metadata.namespace;
  const fromRequest = scope.explicitNamespace || undefined;
  if (scope.info.namespaced && fromBody && fromRequest && fromBody !== fromRequest) {
    throw badRequest(`the namespace of the object ("${fromBody}") does not match the namespace of the request ("${fromRequest}")`, {
      causes: [{ field: scope.codec.fieldPath(scope.info.resource, 'metadata.namespace'), message: 'does not match the request', reason: 'FieldValueInvalid' }],
    });
  }
  return fromRequest ?? fromBody ?? objectNamespace(scope) ?? '';
}

/**
 * The namespace an update (PUT, PATCH) goes to is the request's: its URL's, or `default` when the URL
 * names none. A body naming another is a 400, as in Kubernetes — an update never moves an object.
 */
function updateNamespace(scope: RequestScope, obj: KubeObject): string | undefined {
  const fromRequest = objectNamespace(scope);
  const fromBody = obj.metadata.namespace;
  if (fromRequest !== undefined && fromBody && fromBody !== fromRequest) {
    throw badRequest(`the namespace of the provided object ("${fromBody}") does not match the namespace sent on the request ("${fromRequest}")`, {
      causes: [{ field: scope.codec.fieldPath(scope.info.resource, 'metadata.namespace'), message: 'does not match the request', reason: 'FieldValueInvalid' }],
    });
  }
  return fromRequest;
}

function checkUrlName(scope: RequestScope, obj: KubeObject, urlName: string): void {
  const bodyName = obj.metadata.name;
  if (!bodyName) {
    obj.metadata.name = urlName;
    return;
  }
  if (bodyName !== urlName) {
    throw badRequest(`the name of the object ("${bodyName}") does not match the name in the URL ("${urlName}")`, {
      name: urlName,
      kind: scope.info.kind,
      causes: [{ field: scope.codec.fieldPath(scope.info.resource, 'metadata.name'), message: 'does not match the URL', reason: 'FieldValueInvalid' }],
    });
  }
}

export async function listObjects(deps: RestDeps, res: ServerResponse, scope: RequestScope, query: URLSearchParams): Promise<void> {
  const opts = listOptions(scope, query);
  const { codec } = scope;
  const resource = scope.info.resource;
  const limit = codec.version === 'v1beta1' ? undefined : limitOf(query);
  const from = codec.version === 'v1beta1' ? undefined : continueFrom(query, resource, opts.namespace);
  const exact = codec.version === 'v1beta1' ? undefined : exactRevisionOf(query);
  const minRevision = codec.version === 'v1beta1' || from !== undefined ? undefined : minRevisionOf(query);
  if (limit !== undefined || from !== undefined) return listLimited(deps, res, scope, { ...opts, minRevision }, limit, from ?? (exact ? { revision: exact } : undefined));
  const pages = deps.store.listPages<KubeObject>(resource, { ...opts, revision: exact, minRevision });
  const { table } = scope;
  const pause = deps.writes?.listPause();
  if (table) {
    const age = ageCounter(Date.now());
    await streamList(res, (rv) => tableEnvelope(table, resource, rv), pages, (item) => tableRow(table, codec, resource, item, age, deps.encodings), { arrayField: 'rows', pause });
    return;
  }
  await streamList(res, (rv) => listEnvelope(codec, wireNames(scope.info, codec.version).kind, rv), pages, (item) => deps.encodings.encodeListedBytes(codec, resource, item), { pause });
}

/** A list of at most `limit` objects (read on from a continue token), with a token when more remain. Small by its nature: built in memory. */
async function listLimited(deps: RestDeps, res: ServerResponse, scope: RequestScope, opts: ListOptions & { minRevision?: string }, limit: number | undefined, from: Partial<ContinueFrom> | undefined): Promise<void> {
  const { codec, table } = scope;
  const resource = scope.info.resource;
  const items: LazyItem<KubeObject>[] = [];
  let revision = from?.revision;
  let more = false;
  reading: for await (const page of deps.store.listPages<KubeObject>(resource, { ...opts, startAfter: from?.start, revision: from?.revision })) {
    revision ??= page.resourceVersion;
    for (const item of page.items) {
      if (limit !== undefined && items.length === limit) {
        more = true;
        break reading;
      }
      items.push(item);
    }
  }
  const last = items[items.length - 1];
  const next = more && last ? continueToken(resource, last.namespace, last.name, revision!) : undefined;
  const metadata = { resourceVersion: revision, ...(next ? { continue: next } : {}) };
  if (table) {
    const age = ageCounter(Date.now());
    const head = JSON.stringify({ ...tableEnvelope(table, resource, revision), metadata });
    sendJsonText(res, 200, `${head.slice(0, -1)},"rows":[${items.map((i) => tableRow(table, codec, resource, i, age, deps.encodings)).join(',')}]}`);
    return;
  }
  const head = JSON.stringify({ ...listEnvelope(codec, wireNames(scope.info, codec.version).kind, revision ?? ''), metadata });
  sendJsonText(res, 200, `${head.slice(0, -1)},"items":[${items.map((i) => deps.encodings.encodeListed(codec, resource, i)).join(',')}]}`);
}

export async function getObject(deps: RestDeps, res: ServerResponse, scope: RequestScope, name: string): Promise<void> {
  const { codec, info, table } = scope;
  const obj = await deps.store.get(info.resource, objectNamespace(scope), name);
  if (table) sendJsonText(res, 200, tableDocument(table, codec, info.resource, [obj], obj.metadata.resourceVersion, Date.now(), true, deps.encodings));
  else sendJsonText(res, 200, deps.encodings.encode(codec, info.resource, obj));
}

/**
 * The writer's Update entry in managedFields (apply/field-manager.ts), for writes in the versions
 * that carry managedFields (v1 and the named groups) and not on /status; otherwise `after` as it is.
 */
function recordWriter<T extends KubeObject>(scope: RequestScope, req: IncomingMessage, before: T | undefined, after: T, subresource?: 'status'): T {
  const manager = managerOf(scope.fieldManager, req.headers['user-agent']);
  if (!scope.codec.internalForm || subresource) return after;
  return withUpdateManager(scope.info.kind, before, after, manager, scope.codec.version);
}

export async function createObject(deps: RestDeps, req: IncomingMessage, res: ServerResponse, scope: RequestScope): Promise<void> {
  const decoded = await decodeBody(deps, req, scope);
  const { warnings } = decoded;
  const obj = recordWriter(scope, req, undefined, decoded.obj);
  sendWarnings(res, warnings);
  const namespace = writeNamespace(scope, obj);
  if (scope.info.namespaced) {
    obj.metadata.namespace = namespace;
    await deps.namespaces?.checkCreate(namespace, scope.info.kind, obj.metadata.name || undefined);
  }
  const created = await deps.store.create(obj, { dryRun: scope.dryRun });
  if (scope.dryRun) created.metadata.resourceVersion = undefined;
  log.info({ resource: scope.info.resource, namespace: created.metadata.namespace, name: created.metadata.name, rv: created.metadata.resourceVersion, dryRun: scope.dryRun }, 'created');
  sendWritten(deps, res, 201, scope, created);
}

/**
 * PUT: with a resourceVersion, a compare-and-swap (409 when stale); without one, an unconditional
 * update of the current object. `subresource: 'status'` replaces only the status. The registry
 * applies the kind's rules, as it does for every writer.
 */
export async function updateObject(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  scope: RequestScope,
  name: string,
  subresource?: 'status',
): Promise<void> {
  const { obj, warnings } = await decodeBody(deps, req, scope);
  sendWarnings(res, warnings);
  const { info, codec } = scope;
  checkUrlName(scope, obj, name);
  if (info.namespaced) obj.metadata.namespace = updateNamespace(scope, obj);
  const sentRv = obj.metadata.resourceVersion as unknown;
  const rv = checkResourceVersion(sentRv === undefined || sentRv === null ? undefined : String(sentRv), codec.fieldPath(info.resource, 'metadata.resourceVersion'));
  if (rv === undefined) delete obj.metadata.resourceVersion;
  else obj.metadata.resourceVersion = rv;
  const opts = { dryRun: scope.dryRun };
  managerOf(scope.fieldManager, req.headers['user-agent']); // a bad fieldManager answers before anything is read
  let updated: KubeObject;
  if (subresource === 'status') updated = await deps.store.updateStatus(obj, opts);
  else if (!codec.internalForm) updated = await deps.store.update(obj, opts);
  // The writer's managed fields are counted against the object it replaces; the body's resourceVersion stays the precondition.
  else updated = await deps.store.guaranteedUpdate(info.resource, obj.metadata.namespace, name, (current) => recordWriter(scope, req, current, obj), opts);
  log.info({ resource: info.resource, namespace: updated.metadata.namespace, name, rv: updated.metadata.resourceVersion, subresource }, 'updated');
  sendWritten(deps, res, 200, scope, updated);
}

export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';
const PATCH_TYPES = [MERGE_PATCH, STRATEGIC_MERGE_PATCH, JSON_PATCH, APPLY_PATCH];

/** How a patch body changes the current object (in the URL's version's wire form). */
type PatchFn = (current: Record<string, unknown>) => Record<string, unknown>;

/** The patch type a PATCH request names in its Content-Type (415 for anything else). */
export function patchType(req: IncomingMessage): string {
  const type = mediaTypeOf(req);
  if (!PATCH_TYPES.includes(type)) throw unsupportedMediaType(type, PATCH_TYPES);
  return type;
}

/**
 * The patch's function for an object of `kind` (its merge keys) named `name`: a body that is not a
 * patch of its type is a 400 here; a patch that cannot apply is a 422 naming its field when run.
 */
export function patchFunction(scope: RequestScope, kind: string, name: string, type: string, body: Buffer): PatchFn {
  const apply = rawPatchFunction(scope, kind, type, body);
  return (current) => {
    try {
      return apply(current);
    } catch (e) {
      if (e instanceof PatchError) throw invalid(kind, name, [{ field: e.field, message: e.reason, reason: 'FieldValueInvalid' }]);
      throw e;
    }
  };
}

function rawPatchFunction(scope: RequestScope, kind: string, type: string, body: Buffer): PatchFn {
  if (type === JSON_PATCH) {
    const ops = parseJsonPatch(parseJson(body, 'a list of JSON patch operations'));
    return (current) => applyJsonPatch(current, ops);
  }
  const patch = parseJsonObject(body) as { [key: string]: Json };
  if (type === STRATEGIC_MERGE_PATCH) {
    // The merge-key table is written in the internal form's terms; the seed's v1beta1 shapes have no keyed lists.
    if (!scope.codec.internalForm) {
      throw new HttpError(415, 'UnsupportedMediaType', `a strategic merge patch is served in v1 and the named groups; in ${scope.codec.version} PATCH takes ${MERGE_PATCH} or ${JSON_PATCH}`);
    }
    return (current) => applyStrategicMergePatch(kind, current as { [key: string]: Json }, patch);
  }
  return (current) => applyMergePatch(current as Json, patch) as Record<string, unknown>;
}

/**
 * PATCH: a merge patch (RFC 7386), a strategic merge patch (v1) or a JSON patch (RFC 6902) applies
 * to the current object in the URL's version, and the result goes through the same validation,
 * strategy and compare-and-swap as a PUT (or, on /status, a status update: the registry keeps the
 * spec); a lost race re-reads and re-applies the patch, as Kubernetes does. A resourceVersion in the
 * patched result is a precondition (409 when stale). A patch that cannot apply is a 422 naming its
 * field; nothing is written.
 */
export async function patchObject(deps: RestDeps, req: IncomingMessage, res: ServerResponse, scope: RequestScope, name: string, subresource?: 'status'): Promise<void> {
  const type = patchType(req);
  if (type === APPLY_PATCH) return applyObject(deps, req, res, scope, name, subresource);
  const { info, codec } = scope;
  const apply = patchFunction(scope, info.kind, name, type, await readBody(req, deps.maxBodyBytes));
  managerOf(scope.fieldManager, req.headers['user-agent']); // a bad fieldManager answers before anything is read
  const write = async (current: KubeObject) => {
    const { obj, warnings } = decodeWire(scope, apply(codec.encode(current) as Record<string, unknown>));
    sendWarnings(res, warnings);
    checkUrlName(scope, obj, name);
    if (info.namespaced) obj.metadata.namespace = updateNamespace(scope, obj);
    if (obj.metadata.resourceVersion !== undefined) obj.metadata.resourceVersion = String(obj.metadata.resourceVersion);
    return recordWriter(scope, req, current, obj, subresource);
  };
  const updated = await deps.store.guaranteedUpdate(info.resource, objectNamespace(scope), name, write, { subresource, dryRun: scope.dryRun });
  log.info({ resource: info.resource, namespace: updated.metadata.namespace, name, rv: updated.metadata.resourceVersion, type, subresource }, 'patched');
  sendWritten(deps, res, 200, scope, updated);
}

/**
 * PATCH application/apply-patch+yaml: server-side apply (apply/server-side-apply.ts) of the body (YAML
 * or JSON, the applier's whole configuration) under ?fieldManager, inside the same retry-on-conflict
 * loop as the other patch types; a missing object is created from the configuration. A conflict with
 * another manager is a 409 whose causes name each field and its manager.
 */
async function applyObject(deps: RestDeps, req: IncomingMessage, res: ServerResponse, scope: RequestScope, name: string, subresource?: 'status'): Promise<void> {
  const { info, codec } = scope;
  if (subresource) throw new HttpError(415, 'UnsupportedMediaType', `server-side apply is served on the object, not on /${subresource}`);
  if (!codec.internalForm) throw new HttpError(415, 'UnsupportedMediaType', `server-side apply is served in v1 and the named groups, not in ${codec.version}`);
  const manager = scope.fieldManager;
  if (!manager) throw badRequest('fieldManager is required for apply requests', { kind: info.kind, name, causes: [{ field: 'fieldManager', message: 'Required value: is required for apply patch', reason: 'FieldValueRequired' }] });
  const config = parseYamlObject(await readBody(req, deps.maxBodyBytes));
  const request = { kind: info.kind, manager, force: scope.force ?? false, config, now: new Date().toISOString() };
  // The configuration must itself be a valid object of the kind: wrong kind, apiVersion or fields answer here, before any read.
  decodeWire(scope, config);
  const decodeApplied = (wire: Record<string, unknown>) => {
    const { obj, warnings } = decodeWire(scope, wire);
    sendWarnings(res, warnings);
    checkUrlName(scope, obj, name);
    return obj;
  };
  const run = (current: Record<string, unknown> | undefined) => {
    try {
      return serverSideApply(current, request);
    } catch (e) {
      if (e instanceof ApplyConflictError) {
        throw new HttpError(409, 'Conflict', e.message, { kind: info.kind, name, causes: e.conflicts.map((c) => ({ field: c.field, message: `conflict with "${c.manager}"`, reason: 'FieldManagerConflict' })) });
      }
      if (e instanceof PatchError) throw invalid(info.kind, name, [{ field: e.field, message: e.reason, reason: 'FieldValueInvalid' }]);
      throw e;
    }
  };
  const write = async (current: KubeObject) => {
    const obj = decodeApplied(run(codec.encode(current) as Record<string, unknown>));
    if (info.namespaced) obj.metadata.namespace = updateNamespace(scope, obj);
    delete obj.metadata.resourceVersion; // an applied configuration is not a precondition
    return obj;
  };
  let written: KubeObject;
  let code = 200;
  try {
    written = await deps.store.guaranteedUpdate(info.resource, objectNamespace(scope), name, write, { dryRun: scope.dryRun });
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    const obj = decodeApplied(run(undefined));
    if (info.namespaced) {
      obj.metadata.namespace = writeNamespace(scope, obj);
      await deps.namespaces?.checkCreate(obj.metadata.namespace, info.kind, name);
    }
    written = await deps.store.create(obj, { dryRun: scope.dryRun });
    code = 201;
  }
  log.info({ resource: info.resource, namespace: written.metadata.namespace, name, rv: written.metadata.resourceVersion, manager, created: code === 201 }, 'applied');
  sendWritten(deps, res, code, scope, written);
}

export async function deleteObject(deps: RestDeps, res: ServerResponse, scope: RequestScope, name: string, query: URLSearchParams): Promise<void> {
  const rv = checkResourceVersion(query.get('resourceVersion'));
  const deleted = await deps.store.delete(scope.info.resource, objectNamespace(scope), name, { preconditions: rv ? { resourceVersion: rv } : undefined, dryRun: scope.dryRun });
  log.info({ resource: scope.info.resource, namespace: deleted.metadata.namespace, name }, 'deleted');
  // A delete that takes time (a namespace's) answers the object as it now stands, as Kubernetes does:
  // kubectl's wait reads its uid from the answer and waits for that object to be gone.
  if (deleted.metadata.deletionTimestamp) sendWritten(deps, res, 200, scope, deleted);
  else sendJson(res, 200, successStatus(scope.codec.version, { name, kind: scope.info.kind }));
}
