// Store errors. The API server turns each into a Status (404, 409, 422, 410, 503) in one place.

export interface FieldCause {
  /** A path like `spec.containers[0].image`. */
  field: string;
  message: string;
}

export abstract class StoreError extends Error {
  abstract readonly code: number;
  abstract readonly reason: string;
}

export class NotFoundError extends StoreError {
  readonly code = 404;
  readonly reason = 'NotFound';
  constructor(readonly resource: string, readonly objectName: string) {
    super(`${resource} "${objectName}" not found`);
  }
}

export class AlreadyExistsError extends StoreError {
  readonly code = 409;
  readonly reason = 'AlreadyExists';
  constructor(readonly resource: string, readonly objectName: string) {
    super(`${resource} "${objectName}" already exists`);
  }
}

/** A compare-and-swap lost: the object changed since the caller read it (or a precondition failed). */
export class ConflictError extends StoreError {
  readonly code = 409;
  readonly reason = 'Conflict';
  constructor(readonly resource: string, readonly objectName: string, detail: string) {
    super(`Operation cannot be fulfilled on ${resource} "${objectName}": ${detail}`);
  }
}

/** Schema or semantic validation failed; `causes` names each field. */
export class InvalidError extends StoreError {
  readonly code = 422;
  readonly reason = 'Invalid';
  constructor(readonly kind: string, readonly objectName: string, readonly causes: FieldCause[]) {
    super(`${kind} "${objectName}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`);
  }
}

/** A watch asked for a revision that etcd has compacted away: relist. */
export class ExpiredError extends StoreError {
  readonly code = 410;
  readonly reason = 'Expired';
  constructor(readonly revision: string, readonly compactRevision?: string) {
    super(`too old resource version: ${revision}${compactRevision ? ` (compacted to ${compactRevision})` : ''}`);
  }
}

/** etcd cannot be reached or did not answer in time. */
export class UnavailableError extends StoreError {
  readonly code = 503;
  readonly reason = 'ServiceUnavailable';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** A request that is wrong for reasons other than the object's schema (bad selector, mismatched name). */
export class BadRequestError extends StoreError {
  readonly code = 400;
  readonly reason = 'BadRequest';
}

/** An admission policy of the namespace refuses the write (a ResourceQuota exceeded, a LimitRange bound). */
export class ForbiddenError extends StoreError {
  readonly code = 403;
  readonly reason = 'Forbidden';
}

export function isStoreError(e: unknown): e is StoreError {
  return e instanceof StoreError;
}

/** The ConflictError of a write that named a resourceVersion other than the stored one. */
export function staleVersionError(resource: string, name: string, sent: string, current: string): ConflictError {
  return new ConflictError(resource, name, `the object has been modified (resourceVersion ${sent} is stale, current is ${current}); please apply your changes to the latest version and try again`);
}
