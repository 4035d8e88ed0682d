// `?limit=` and `?continue=` on lists, as Kubernetes has them: a limited list answers at most
// `limit` objects and, when more remain, `metadata.continue`, a token that names where it stopped
// and the revision it read at; the next request with that token reads on from there at the same
// revision (a consistent snapshot across the pages), or 410 Expired once etcd has compacted it.
import { objectKey, resourcePrefix } from '@coxswain/objects';
import type { ResourceName } from '@coxswain/objects';
import { badRequest } from './status';

export interface ContinueFrom {
  /** The last key the previous page answered. */
  start: string;
  /** The revision every page reads at. */
  revision: string;
}

const invalid = (message: string, field = 'continue') => badRequest(message, { causes: [{ field, message, reason: 'FieldValueInvalid' }] });

/** ?limit=: a positive whole number, or undefined (0 or absent: no limit). */
export function limitOf(query: URLSearchParams): number | undefined {
  const value = query.get('limit');
  if (value === null || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value)) throw invalid(`invalid limit "${value}": a whole number of objects`, 'limit');
  return Number(value) || undefined;
}

export function continueToken(resource: ResourceName, namespace: string | undefined, name: string, revision: string): string {
  return Buffer.from(JSON.stringify({ v: 1, rv: revision, start: objectKey(resource, namespace, name) })).toString('base64url');
}

/** The place a token names; 400 for one that is malformed or names another resource or namespace. */
export function continueFrom(query: URLSearchParams, resource: ResourceName, namespace: string | undefined): ContinueFrom | undefined {
  const token = query.get('continue');
  if (!token) return undefined;
  let parsed: { v?: unknown; rv?: unknown; start?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid('invalid continue token: not one this server gave');
  }
  const { v, rv, start } = parsed ?? {};
  if (v !== 1 || typeof rv !== 'string' || !/^\d{1,19}$/.test(rv) || typeof start !== 'string') throw invalid('invalid continue token: not one this server gave');
  // A token reads on only where the list it came from was reading.
  if (!start.startsWith(resourcePrefix(resource, namespace))) throw invalid('invalid continue token: it continues a list of another resource or namespace');
  return { start, revision: rv };
}

/**
 * The revision a list must be read at: `resourceVersionMatch=Exact` with a resourceVersion reads at
 * that revision (410 once compacted); NotOlderThan, or a resourceVersion alone, is `minRevisionOf`'s
 * (served from the watch cache); anything else is a 400.
 */
export function exactRevisionOf(query: URLSearchParams): string | undefined {
  const match = query.get('resourceVersionMatch');
  const rv = query.get('resourceVersion');
  if (match === null || match === '') return undefined;
  if (match !== 'Exact' && match !== 'NotOlderThan') throw invalid(`invalid resourceVersionMatch "${match}": Exact or NotOlderThan`, 'resourceVersionMatch');
  if (!rv) throw invalid('resourceVersionMatch needs a resourceVersion', 'resourceVersionMatch');
  if (!/^\d{1,19}$/.test(rv)) throw invalid(`invalid resourceVersion "${rv}": a decimal revision`, 'resourceVersion');
  if (match === 'Exact' && rv === '0') throw invalid('resourceVersionMatch=Exact needs a resourceVersion other than 0', 'resourceVersionMatch');
  return match === 'Exact' ? rv : undefined;
}

/**
 * How old a list may be: resourceVersion=0 (anything the watch cache has) or a resourceVersion with
 * NotOlderThan or no match (at least that revision), as Kubernetes reads them. Undefined: the newest
 * state (a consistent read). Call after exactRevisionOf, which checks the pair.
 */
export function minRevisionOf(query: URLSearchParams): string | undefined {
  const match = query.get('resourceVersionMatch');
  const rv = query.get('resourceVersion');
  if (!rv || match === 'Exact') return undefined;
  if (!/^\d{1,19}$/.test(rv)) throw invalid(`invalid resourceVersion "${rv}": a decimal revision`, 'resourceVersion');
  return rv;
}
