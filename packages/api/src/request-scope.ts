// What a REST request is about: the wire version (its codec), the resource, the namespace, and
// the selectors, all checked before any handler runs.
import { fieldValidationOf, type FieldValidation } from './field-validation';
import { DEFAULT_NAMESPACE, RESOURCES, groupVersion, parseFieldSelector, parseSelector, servedIn, wireNames } from '@coxswain/objects';
import type { ListOptions, ResourceInfo } from '@coxswain/objects';
import type { Codec } from './codecs/codec';
import type { TableOptions } from './table';
import type { Params } from './router';
import { badRequest, notFound } from './status';

export interface RequestScope {
  codec: Codec;
  info: ResourceInfo;
  /** The namespace the request named (path or ?namespace=), if it named one. */
  explicitNamespace?: string;
  /** ?dryRun=All: the write runs every check and answers as it would, and stores nothing. */
  dryRun?: boolean;
  /** What a write does with unknown fields (field-validation.ts). */
  fieldValidation?: FieldValidation;
  /** Reads answered as a meta.k8s.io Table (table.ts), as kubectl asks. */
  table?: TableOptions;
  /** ?fieldManager=: who makes the change (server-side apply requires it). */
  fieldManager?: string;
  /** ?force=true: a server-side apply takes the fields it conflicts on. */
  force?: boolean;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The resource a URL names in a group version: its wire name there (`nodes` in v1), or the store's (`minions`, `replicationControllers`, lowercase too). */
export function findResource(name: string, version = ''): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.resource === name || r.resource.toLowerCase() === name || (version !== '' && wireNames(r, version).resource === name));
}

/** The group version a route names: `v1` from /api/v1/..., `apps/v1` from /apis/apps/v1/... */
export function routeGroupVersion(params: Params): string {
  return groupVersion(params.group ?? '', params.version ?? '');
}

export function resolveScope(codecs: ReadonlyMap<string, Codec>, params: Params, query: URLSearchParams): RequestScope {
  const version = routeGroupVersion(params);
  const codec = codecs.get(version);
  if (!codec) throw notFound(`unknown API version "${version}"; this server speaks ${[...codecs.keys()].join(', ')}`);
  const resource = params.resource ?? '';
  const info = findResource(resource, version);
  if (!info || !servedIn(info, version)) {
    const known = RESOURCES.filter((r) => servedIn(r, version)).map((r) => wireNames(r, version).resource);
    throw notFound(`the server could not find the requested resource "${resource}" in ${version} (known: ${known.join(', ')})`);
  }
  let explicitNamespace = params.namespace ?? (query.has('namespace') ? query.get('namespace')! : undefined);
  if (!info.namespaced) explicitNamespace = undefined;
  if (explicitNamespace !== undefined && explicitNamespace !== '' && (explicitNamespace.length > 63 || !NAMESPACE.test(explicitNamespace))) {
    throw badRequest(`invalid namespace "${explicitNamespace}": lowercase letters, digits and '-', at most 63 characters`, {
      causes: [{ field: 'namespace', message: 'invalid namespace', reason: 'FieldValueInvalid' }],
    });
  }
  return { codec, info, explicitNamespace, dryRun: dryRunOf(query), fieldValidation: fieldValidationOf(query, version), fieldManager: query.get('fieldManager') ?? undefined, force: forceOf(query) };
}

function forceOf(query: URLSearchParams): boolean | undefined {
  const value = query.get('force');
  if (value === null) return undefined;
  if (value !== 'true' && value !== 'false') throw badRequest(`invalid force ${JSON.stringify(value)}: must be true or false`, { causes: [{ field: 'force', message: 'must be true or false', reason: 'FieldValueInvalid' }] });
  return value === 'true';
}

/** Kubernetes' dryRun parameter: absent, or All (the only stage there is); anything else 400. */
function dryRunOf(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  if (values.length === 0) return false;
  if (values.every((v) => v === 'All')) return true;
  throw badRequest(`invalid dryRun ${JSON.stringify(values.join(','))}: the only value is All`, { causes: [{ field: 'dryRun', message: 'must be All', reason: 'FieldValueNotSupported' }] });
}

/** The namespace one object lives in (an empty ?namespace= is only meaningful for lists). */
export function objectNamespace(scope: RequestScope): string | undefined {
  if (!scope.info.namespaced) return undefined;
  return scope.explicitNamespace || DEFAULT_NAMESPACE;
}

// The store's parsers decide what a selector means; here a bad one becomes a 400 that names the
// query parameter as well as the token.
function checkSelector(param: string, value: string): void {
  try {
    if (param === 'labels' || param === 'labelSelector') parseSelector(value);
    else parseFieldSelector(value);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw badRequest(`${param}: ${message}`, { causes: [{ field: param, message, reason: 'FieldValueInvalid' }] });
  }
}

function joinSelectors(a: string | null, b: string | null): string | undefined {
  const parts = [a, b].filter((s): s is string => s !== null && s.trim() !== '');
  return parts.length ? parts.join(',') : undefined;
}

/**
 * List/watch filters: `labels` (the 2014 name) and `labelSelector` are combined, as are `fields` and
 * `fieldSelector`. Namespace: an explicit empty `?namespace=` means all; absent means all in v1 and
 * the named groups (`/api/v1/pods` is every namespace's pods, as kubectl's `-A` reads it) and
 * "default" in the seed's v1beta1.
 */
export function listOptions(scope: RequestScope, query: URLSearchParams): ListOptions {
  const opts: ListOptions = {};
  if (scope.info.namespaced) {
    const ns = scope.explicitNamespace ?? (scope.codec.version === 'v1beta1' ? DEFAULT_NAMESPACE : '');
    if (ns !== '') opts.namespace = ns;
  }
  for (const param of ['labels', 'labelSelector', 'fields', 'fieldSelector']) {
    const value = query.get(param);
    if (value !== null) checkSelector(param, value);
  }
  const labelSelector = joinSelectors(query.get('labels'), query.get('labelSelector'));
  const fieldSelector = joinSelectors(query.get('fields'), query.get('fieldSelector'));
  if (labelSelector) opts.labelSelector = labelSelector;
  if (fieldSelector) opts.fieldSelector = fieldSelector;
  return opts;
}

/** A resourceVersion from a query or body: a decimal etcd revision. */
export function checkResourceVersion(value: string | null | undefined, field = 'resourceVersion'): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!/^\d{1,19}$/.test(value)) {
    throw badRequest(`invalid resourceVersion "${value}": must be a decimal revision`, {
      causes: [{ field, message: 'must be a decimal revision', reason: 'FieldValueInvalid' }],
    });
  }
  return value;
}
