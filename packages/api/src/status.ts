// Errors become Status objects here and nowhere else: the server's own HTTP errors (bad JSON, 405,
// 413, ...) and the store's typed errors (NotFound, Conflict, Invalid, Expired, Unavailable).
// Field paths from store validation are internal; the codec maps them into the wire version's terms.
import { isStoreError, InvalidError, resourceInfo, wireNames } from '@coxswain/objects';
import { createLogger } from '@coxswain/process';
import type { ResourceName, Status, StatusCause, StatusDetails } from '@coxswain/objects';
export type { Status, StatusCause, StatusDetails } from '@coxswain/objects';
import type { Codec } from './codecs/codec';

const log = createLogger('apiserver');

/** An error the server raises itself; carries what its Status will say. */
export class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    /** Extra response headers (e.g. Allow on 405). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: StatusDetails) => new HttpError(400, 'BadRequest', message, details);
export const notFound = (message: string) => new HttpError(404, 'NotFound', message);
export const invalid = (kind: string, name: string | undefined, causes: StatusCause[]) =>
  new HttpError(
    422,
    'Invalid',
    `${kind}${name ? ` "${name}"` : ''} is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`,
    { kind, ...(name ? { name } : {}), causes },
  );

export interface StatusContext {
  /** The wire version the caller speaks (Status.apiVersion). */
  version: string;
  codec?: Codec;
  resource?: ResourceName;
  kind?: string;
}

// Store errors carry code/reason; fall back to the shape when two copies of the store module are loaded.
function storeLike(e: unknown): e is { code: number; reason: string; message: string } {
  return (
    isStoreError(e) ||
    (e instanceof Error && typeof (e as { code?: unknown }).code === 'number' && typeof (e as { reason?: unknown }).reason === 'string')
  );
}

/** Status is a core kind: `v1` (or the seed's v1beta1) even for a named group's request, as client-go decodes it. */
function statusApiVersion(version: string): string {
  return version.includes('/') ? 'v1' : version;
}

/** Translates any thrown value into the Status the client sees. */
export function toStatus(err: unknown, ctx: StatusContext): Status {
  const base = { kind: 'Status' as const, apiVersion: statusApiVersion(ctx.version), status: 'Failure' as const };
  if (err instanceof HttpError) {
    return { ...base, code: err.code, reason: err.reason, message: err.message, ...(err.details ? { details: err.details } : {}) };
  }
  if (storeLike(err)) {
    const e = err as unknown as Record<string, unknown>;
    const details: StatusDetails = {};
    if (ctx.kind) details.kind = ctx.kind;
    const name = (e.objectName as string | undefined) ?? undefined;
    if (name) details.name = name;
    let message = err.message;
    if (err instanceof InvalidError || err.reason === 'Invalid') {
      const causes = ((e.causes as { field: string; message: string }[]) ?? []).map((c) => ({
        field: ctx.codec && ctx.resource ? safeFieldPath(ctx.codec, ctx.resource, c.field) : c.field,
        message: c.message,
        reason: 'FieldValueInvalid',
      }));
      details.causes = causes;
      if (e.kind) details.kind = ctx.kind ?? (e.kind as string);
      message = `${details.kind ?? 'object'}${name ? ` "${name}"` : ''} is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`;
    }
    // The store names the resource as it keeps it (`replicationControllers`, `minions`); the client reads the version's name.
    if (ctx.resource && !(err instanceof InvalidError)) {
      const info = resourceInfo(ctx.resource);
      const wire = info ? wireNames(info, ctx.version).resource : ctx.resource;
      if (wire !== ctx.resource && message.startsWith(`${ctx.resource} `)) message = wire + message.slice(ctx.resource.length);
    }
    const code = err.code;
    return { ...base, code, reason: err.reason, message, ...(Object.keys(details).length ? { details } : {}) };
  }
  log.error({ err }, 'internal error');
  return { ...base, code: 500, reason: 'InternalError', message: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}

function safeFieldPath(codec: Codec, resource: ResourceName, path: string): string {
  try {
    return codec.fieldPath(resource, path) || path;
  } catch {
    return path;
  }
}

export function successStatus(version: string, details?: StatusDetails): Status {
  return { kind: 'Status', apiVersion: statusApiVersion(version), status: 'Success', code: 200, ...(details ? { details } : {}) };
}
