// Who wrote what, for writes other than server-side apply (create, PUT, merge, strategic and JSON
// patches): the writer becomes an `Update` entry of metadata.managedFields owning the fields it
// changed, as Kubernetes' field manager records them, so a later apply sees a conflict with it.
// The writer is ?fieldManager, or else the User-Agent up to its first "/" (kubectl sends
// `kubectl-edit`, `kubectl-patch`, ... itself; a client that sends neither is `unknown`).
import type { KubeObject } from '@coxswain/objects';
import { badRequest } from '../status';
import { managedFieldsOf, recordUpdate } from './server-side-apply';

/** Kubernetes' limit on a manager's name. */
const MAX_MANAGER_LENGTH = 128;

export function managerOf(fieldManager: string | undefined, userAgent: string | undefined): string {
  if (fieldManager !== undefined) {
    if (fieldManager.length > MAX_MANAGER_LENGTH || !/^[\x20-\x7e]+$/.test(fieldManager)) {
      throw badRequest(`fieldManager must be 1 to ${MAX_MANAGER_LENGTH} printable characters`, { causes: [{ field: 'fieldManager', message: 'Invalid value: must be 1 to 128 printable characters', reason: 'FieldValueInvalid' }] });
    }
    return fieldManager;
  }
  const prefix = (userAgent ?? '').split('/')[0].slice(0, MAX_MANAGER_LENGTH).trim();
  return prefix || 'unknown';
}

/**
 * `after` with its managedFields brought up to date for a write by `manager` in `apiVersion`.
 * Managed fields the request itself sets are taken as it sent them (a client resetting them); a
 * request that leaves them out keeps the stored ones.
 */
export function withUpdateManager<T extends KubeObject>(kind: string, before: T | undefined, after: T, manager: string, apiVersion: string): T {
  const sent = managedFieldsOf(after as unknown as Record<string, unknown>);
  const stored = managedFieldsOf(before as unknown as Record<string, unknown> | undefined);
  if (sent.length > 0 && JSON.stringify(sent) !== JSON.stringify(stored)) return after;
  return recordUpdate(kind, before as unknown as Record<string, unknown> | undefined, after as unknown as Record<string, unknown>, manager, apiVersion, new Date().toISOString()) as unknown as T;
}
