// The options of a container's log as the v1 API names them (PodLogOptions: follow, tailLines,
// sinceSeconds, sinceTime, timestamps, previous, limitBytes), parsed once here for both the API
// server, which validates what the user asked before it proxies, and the kubelet, which serves it.
// The seed's `tail` stays an alias of tailLines.

export interface PodLogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  /** Epoch milliseconds: only lines written at or after it (from sinceSeconds or sinceTime). */
  sinceTime?: number;
  limitBytes?: number;
}

export class PodLogOptionError extends Error {
  constructor(readonly field: string, readonly reason: string, readonly value: string) {
    super(`invalid ${field} "${value}": ${reason}`);
  }
}

/** Parses a log request's query; `now` turns sinceSeconds into a time. Throws PodLogOptionError. */
export function parsePodLogOptions(query: URLSearchParams, now: number): PodLogOptions {
  const opts: PodLogOptions = { follow: bool(query, 'follow'), previous: bool(query, 'previous'), timestamps: bool(query, 'timestamps') };
  const tail = query.get('tailLines') ?? query.get('tail');
  if (tail !== null) opts.tailLines = count(query.has('tailLines') ? 'tailLines' : 'tail', tail, 0);
  const sinceSeconds = query.get('sinceSeconds');
  const sinceTime = query.get('sinceTime');
  if (sinceSeconds !== null && sinceTime !== null) throw new PodLogOptionError('sinceSeconds', 'only one of sinceSeconds and sinceTime may be given', sinceSeconds);
  if (sinceSeconds !== null) opts.sinceTime = now - count('sinceSeconds', sinceSeconds, 1) * 1000;
  if (sinceTime !== null) {
    const at = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(sinceTime) ? Date.parse(sinceTime) : NaN;
    if (Number.isNaN(at)) throw new PodLogOptionError('sinceTime', 'must be an RFC 3339 time such as 2026-12-05T10:00:00Z', sinceTime);
    opts.sinceTime = at;
  }
  const limit = query.get('limitBytes');
  if (limit !== null) opts.limitBytes = count('limitBytes', limit, 1);
  return opts;
}

/** The query that carries these options to the kubelet (sinceTime as RFC 3339, so no clock is shared). */
export function podLogQuery(opts: PodLogOptions): URLSearchParams {
  const q = new URLSearchParams();
  if (opts.follow) q.set('follow', 'true');
  if (opts.previous) q.set('previous', 'true');
  if (opts.timestamps) q.set('timestamps', 'true');
  if (opts.tailLines !== undefined) q.set('tailLines', String(opts.tailLines));
  if (opts.sinceTime !== undefined) q.set('sinceTime', new Date(opts.sinceTime).toISOString());
  if (opts.limitBytes !== undefined) q.set('limitBytes', String(opts.limitBytes));
  return q;
}

function bool(query: URLSearchParams, field: string): boolean {
  const v = query.get(field);
  if (v === null || v === 'false') return false;
  if (v === 'true') return true;
  throw new PodLogOptionError(field, 'must be true or false', v);
}

function count(field: string, v: string, min: number): number {
  if (!/^\d{1,15}$/.test(v) || Number(v) < min) throw new PodLogOptionError(field, min === 0 ? 'must be a non-negative integer' : 'must be a positive integer', v);
  return Number(v);
}
