// The typed HTTP client for the API (the CLI's and the tests'): list/get/create/update/delete in one
// wire version, raw requests, pod logs, and a resuming WebSocket watch. Failures throw ApiError.
import { Readable } from 'node:stream';
import { resourcePathPrefix } from '@coxswain/objects';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ApiError, ApiUnreachableError, networkDetail } from './api-error';
import { WatchClient, WatchClientOptions } from './watch-client';

export type WireObject = Record<string, unknown>;

export interface WireList<T = WireObject> {
  items: T[];
  resourceVersion: string;
  /** The list document as the server sent it. */
  raw: WireObject;
}

export interface ApiClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  server: string;
  token?: string;
  /** Default v1beta1. */
  version?: string;
  /** Per-request timeout (not for watches or followed logs). Default 30 s. */
  timeoutMs?: number;
}

export interface Scope {
  namespace?: string;
}

export interface ListQuery extends Scope {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, when it was JSON. */
  body: unknown;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | undefined>;
  /** Do not throw on a non-2xx answer. */
  allowErrors?: boolean;
  timeoutMs?: number;
  /** The body's media type (default application/json). */
  contentType?: string;
}

export interface LogOptions extends Scope {
  container?: string;
  follow?: boolean;
  tail?: number;
}

/** The resourceVersion of a wire object in either version's place for it. */
export function wireResourceVersion(obj: unknown): string | undefined {
  const o = obj as { resourceVersion?: unknown; metadata?: { resourceVersion?: unknown } } | undefined;
  const rv = o?.resourceVersion ?? o?.metadata?.resourceVersion;
  return rv === undefined || rv === null || rv === '' ? undefined : String(rv);
}

/** The name of a wire object: `id` in v1beta1, `metadata.name` in v1. */
export function wireName(obj: unknown): string | undefined {
  const o = obj as { id?: unknown; metadata?: { name?: unknown } } | undefined;
  const n = o?.id ?? o?.metadata?.name;
  return typeof n === 'string' ? n : undefined;
}

export class ApiClient {
  readonly server: string;
  readonly version: string;
  private readonly token?: string;
  private readonly timeoutMs: number;

  constructor(opts: ApiClientOptions) {
    this.server = opts.server.replace(/\/+$/, '');
    this.version = opts.version ?? 'v1beta1';
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private headers(contentType: string | undefined): Record<string, string> {
    const h: Record<string, string> = { Accept: 'application/json' };
    if (contentType) h['Content-Type'] = contentType;
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    return h;
  }

  /** `/api/<version>/<resource>[/<name>[/<sub>]]`, or `/apis/<group>/<version>/...` for a named group's kind. */
  path(resource: string, name?: string, sub?: string): string {
    return `${resourcePathPrefix(resource, this.version)}/${resource}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}${sub ? `/${sub}` : ''}`;
  }

  private url(path: string, query?: Record<string, string | undefined>): string {
    const u = new URL(path, this.server + '/');
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, v);
    return u.toString();
  }

  private async send(method: string, path: string, opts: RequestOptions, stream = false): Promise<Response> {
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' || opts.body instanceof Uint8Array ? opts.body : JSON.stringify(opts.body);
    try {
      return await fetch(this.url(path, opts.query), {
        method,
        headers: this.headers(body === undefined ? undefined : (opts.contentType ?? 'application/json')),
        body: body as string | Uint8Array | undefined,
        signal: stream ? undefined : AbortSignal.timeout(opts.timeoutMs ?? this.timeoutMs),
      });
    } catch (e) {
      throw new ApiUnreachableError(this.server, networkDetail(e));
    }
  }

  private async failure(res: Response): Promise<ApiError> {
    const text = await res.text().catch(() => '');
    try {
      const parsed = JSON.parse(text);
      if (parsed && parsed.kind === 'Status') return new ApiError(parsed);
    } catch {
      /* not JSON */
    }
    return ApiError.fromResponse(res.status, res.statusText, text, this.version);
  }

  /** Any request; the body is sent as JSON unless it is a string or bytes. For the CLI's raw verbs. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const res = await this.send(method, path, opts);
    if (!res.ok && !opts.allowErrors) throw await this.failure(res);
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new ApiUnreachableError(this.server, `connection lost while reading the response: ${networkDetail(e)}`);
    }
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, text, body };
  }

  async list<T = WireObject>(resource: string, q: ListQuery = {}): Promise<WireList<T>> {
    const { body } = await this.request('GET', this.path(resource), {
      query: { namespace: q.namespace, labelSelector: q.labelSelector, fieldSelector: q.fieldSelector },
    });
    const raw = body as WireObject;
    return { items: (raw.items as T[]) ?? [], resourceVersion: wireResourceVersion(raw) ?? '0', raw };
  }

  async get<T = WireObject>(resource: string, name: string, s: Scope = {}): Promise<T> {
    return (await this.request('GET', this.path(resource, name), { query: { namespace: s.namespace } })).body as T;
  }

  async create<T = WireObject>(resource: string, obj: unknown, s: Scope = {}): Promise<T> {
    return (await this.request('POST', this.path(resource), { body: obj, query: { namespace: s.namespace } })).body as T;
  }

  /** PUT: conditional when the object carries a resourceVersion (409 if stale), unconditional otherwise. */
  async update<T = WireObject>(resource: string, obj: unknown, s: Scope & { name?: string } = {}): Promise<T> {
    const name = s.name ?? wireName(obj);
    if (!name) throw new Error('update: the object has no name (id / metadata.name)');
    return (await this.request('PUT', this.path(resource, name), { body: obj, query: { namespace: s.namespace } })).body as T;
  }

  /** PATCH with a JSON merge patch (RFC 7386): keys merge, null removes, anything else replaces. */
  async patch<T = WireObject>(resource: string, name: string, patch: unknown, s: Scope = {}): Promise<T> {
    return (await this.request('PATCH', this.path(resource, name), { body: patch, query: { namespace: s.namespace }, contentType: 'application/merge-patch+json' })).body as T;
  }

  async updateStatus<T = WireObject>(resource: string, obj: unknown, s: Scope & { name?: string } = {}): Promise<T> {
    const name = s.name ?? wireName(obj);
    if (!name) throw new Error('updateStatus: the object has no name (id / metadata.name)');
    return (await this.request('PUT', this.path(resource, name, 'status'), { body: obj, query: { namespace: s.namespace } })).body as T;
  }

  async delete(resource: string, name: string, s: Scope & { resourceVersion?: string } = {}): Promise<unknown> {
    return (await this.request('DELETE', this.path(resource, name), { query: { namespace: s.namespace, resourceVersion: s.resourceVersion } })).body;
  }

  async bind(pod: string, minion: string, s: Scope = {}): Promise<unknown> {
    return (await this.request('POST', this.path('bindings'), { body: { podID: pod, host: minion }, query: { namespace: s.namespace } })).body;
  }

  /** A container's log as a byte stream; with `follow` it stays open until closed. */
  async logs(pod: string, opts: LogOptions = {}): Promise<Readable> {
    const res = await this.send(
      'GET',
      this.path('pods', pod, 'log'),
      {
        query: {
          namespace: opts.namespace,
          container: opts.container,
          follow: opts.follow === undefined ? undefined : String(opts.follow),
          tail: opts.tail === undefined ? undefined : String(opts.tail),
        },
      },
      true,
    );
    if (!res.ok) throw await this.failure(res);
    if (!res.body) return Readable.from([]);
    return Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
  }

  async healthz(): Promise<string> {
    return (await this.request('GET', '/healthz')).text;
  }

  /** A WebSocket watch that resumes after drops and relists (through onExpired) after a 410. */
  watch(resource: string, opts: WatchClientOptions): WatchClient {
    return new WatchClient({ server: this.server, token: this.token, version: this.version, resource }, opts);
  }
}
