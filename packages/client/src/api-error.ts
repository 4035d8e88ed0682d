// What the client throws: the server's Status, typed; or, when no server answered, which address
// was tried and why.
import type { Status, StatusCause } from '@coxswain/objects';

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly causes: StatusCause[];

  constructor(readonly status: Status) {
    super(status.message ?? `${status.code} ${status.reason ?? ''}`.trim());
    this.name = 'ApiError';
    this.code = status.code;
    this.reason = status.reason ?? 'Unknown';
    this.causes = status.details?.causes ?? [];
  }

  /** Builds an ApiError from a response that did not carry a Status (a proxy's HTML page, say). */
  static fromResponse(httpStatus: number, statusText: string, body: string, version: string): ApiError {
    return new ApiError({
      kind: 'Status',
      apiVersion: version,
      status: 'Failure',
      code: httpStatus,
      reason: statusText.replace(/\s+/g, '') || 'Unknown',
      message: body.trim().slice(0, 500) || `${httpStatus} ${statusText}`,
    });
  }
}

/** No API server answered at `server` (connection refused, DNS failure, timeout). code 0. */
export class ApiUnreachableError extends ApiError {
  constructor(readonly server: string, detail: string) {
    super({
      kind: 'Status',
      apiVersion: '',
      status: 'Failure',
      code: 0,
      reason: 'ServerUnreachable',
      message: `cannot reach the API server at ${server}: ${detail}`,
    });
    this.name = 'ApiUnreachableError';
  }
}

/** The error's code, reason and causes joined in one message, for a CLI to print. */
export function describeApiError(e: ApiError): string {
  const causes = e.causes.map((c) => `  ${c.field ? `${c.field}: ` : ''}${c.message}`);
  return [e.message, ...causes].join('\n');
}

/** Pulls a readable reason out of a fetch/socket failure (`ECONNREFUSED`, `ENOTFOUND`, ...). */
export function networkDetail(err: unknown): string {
  const e = err as { cause?: { code?: string; message?: string }; code?: string; message?: string; name?: string };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.code ?? e?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
