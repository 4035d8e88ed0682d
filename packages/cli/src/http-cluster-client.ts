// ClusterClient over plain HTTP (fetch) and the WebSocket watch. Every failure becomes either a
// ServerError (the server answered with a Status) or an UnreachableError (it did not answer).
import WebSocket from 'ws';
import type { ResourceName } from '@coxswain/store';
import {
  ClusterClient,
  ListQuery,
  ListResponse,
  LogQuery,
  ServerError,
  UnreachableError,
  WatchMessage,
  WatchStreamHandle,
  WireVersion,
} from './cluster-client';
import { isObject, JsonObject, str } from './object-fields';

export interface HttpClusterClientOptions {
  server: string;
  token?: string;
  /** Where the address came from, for the unreachable-server message. */
  source?: string;
  /** Per-request deadline (not applied to watches and followed logs). */
  timeoutMs?: number;
}

function toServerError(code: number, body: unknown, fallback: string): ServerError {
  if (isObject(body) && body.kind === 'Status') {
    const causes = Array.isArray((body.details as JsonObject | undefined)?.causes)
      ? ((body.details as JsonObject).causes as { field?: string; message: string }[])
      : [];
    return new ServerError(Number(body.code ?? code), str(body, 'reason') || 'Unknown', str(body, 'message') || fallback, causes);
  }
  return new ServerError(code, code === 404 ? 'NotFound' : 'Unknown', fallback);
}

export class HttpClusterClient implements ClusterClient {
  readonly server: string;
  private readonly token?: string;
  private readonly source: string;
  private readonly timeoutMs: number;

  constructor(opts: HttpClusterClientOptions) {
    this.server = opts.server.replace(/\/+$/, '');
    this.token = opts.token;
    this.source = opts.source ?? 'default';
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = { Accept: 'application/json' };
    if (json) h['Content-Type'] = 'application/json';
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    return h;
  }

  private path(version: WireVersion, resource: ResourceName, name?: string, query?: URLSearchParams): string {
    const q = query && [...query.keys()].length ? `?${query.toString()}` : '';
    return `/api/${version}/${resource}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}${q}`;
  }

  private async fetch(path: string, init: RequestInit & { signal?: AbortSignal }, deadline = true): Promise<Response> {
    const signal = deadline ? AbortSignal.timeout(this.timeoutMs) : init.signal;
    try {
      return await fetch(this.server + path, { ...init, signal: init.signal && deadline ? AbortSignal.any([init.signal, signal!]) : signal });
    } catch (e) {
      if ((e as Error).name === 'AbortError' && init.signal?.aborted) throw e;
      throw new UnreachableError(this.server, this.source, e);
    }
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.fetch(path, { method, headers: this.headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) throw toServerError(res.status, parsed, text.trim() || `${res.status} ${res.statusText}`);
    return parsed;
  }

  async list(version: WireVersion, resource: ResourceName, query: ListQuery = {}): Promise<ListResponse> {
    const q = new URLSearchParams();
    if (query.labelSelector) q.set('labelSelector', query.labelSelector);
    if (query.fieldSelector) q.set('fieldSelector', query.fieldSelector);
    const body = (await this.request('GET', this.path(version, resource, undefined, q))) as JsonObject;
    const items = Array.isArray(body?.items) ? (body.items as JsonObject[]) : [];
    return { items, resourceVersion: str(body, 'metadata.resourceVersion') || str(body, 'resourceVersion') };
  }

  async get(version: WireVersion, resource: ResourceName, name: string): Promise<JsonObject> {
    return (await this.request('GET', this.path(version, resource, name))) as JsonObject;
  }

  async create(version: WireVersion, resource: ResourceName, body: JsonObject): Promise<JsonObject> {
    return (await this.request('POST', this.path(version, resource), body)) as JsonObject;
  }

  async update(version: WireVersion, resource: ResourceName, name: string, body: JsonObject): Promise<JsonObject> {
    return (await this.request('PUT', this.path(version, resource, name), body)) as JsonObject;
  }

  async delete(version: WireVersion, resource: ResourceName, name: string): Promise<void> {
    await this.request('DELETE', this.path(version, resource, name));
  }

  async serverVersion(): Promise<JsonObject | undefined> {
    try {
      return (await this.request('GET', '/version')) as JsonObject;
    } catch (e) {
      if (e instanceof ServerError && e.code === 404) return undefined;
      throw e;
    }
  }

  watch(version: WireVersion, resource: ResourceName, query: ListQuery & { resourceVersion?: string }): WatchStreamHandle {
    const q = new URLSearchParams();
    if (query.labelSelector) q.set('labelSelector', query.labelSelector);
    if (query.fieldSelector) q.set('fieldSelector', query.fieldSelector);
    if (query.resourceVersion) q.set('resourceVersion', query.resourceVersion);
    const url = `${this.server.replace(/^http/, 'ws')}/api/${version}/watch/${resource}${[...q.keys()].length ? `?${q}` : ''}`;
    const ws = new WebSocket(url, { headers: this.token ? { Authorization: `Bearer ${this.token}` } : {} });
    const queue: WatchMessage[] = [];
    let ended = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    ws.on('message', (data) => {
      try {
        queue.push(JSON.parse(data.toString()) as WatchMessage);
      } catch {
        // A message that is not JSON is not an event; skip it.
      }
      notify();
    });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        failure = toServerError(res.statusCode ?? 500, parsed, text || `watch refused: ${res.statusCode}`);
        ended = true;
        notify();
      });
    });
    ws.on('error', (e) => {
      if (ws.readyState !== WebSocket.OPEN && !failure && (e as NodeJS.ErrnoException).code) {
        failure = new UnreachableError(this.server, this.source, e);
      }
      ended = true;
      notify();
    });
    ws.on('close', () => {
      ended = true;
      notify();
    });
    const close = () => {
      ended = true;
      ws.terminate();
      notify();
    };
    return {
      close,
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            while (queue.length) yield queue.shift()!;
            if (ended) break;
            await new Promise<void>((r) => (wake = r));
          }
          if (failure) throw failure;
        } finally {
          if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
        }
      },
    };
  }

  async *logs(pod: string, query: LogQuery): AsyncIterable<string> {
    const q = new URLSearchParams();
    if (query.container) q.set('container', query.container);
    if (query.follow) q.set('follow', 'true');
    if (query.tail !== undefined) q.set('tail', String(query.tail));
    const res = await this.fetch(`/api/v1beta1/pods/${encodeURIComponent(pod)}/log${[...q.keys()].length ? `?${q}` : ''}`, { headers: this.headers(false), signal: query.signal }, !query.follow);
    if (!res.ok) {
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      throw toServerError(res.status, parsed, text || `${res.status}`);
    }
    if (!res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) yield decoder.decode(chunk, { stream: true });
    } catch (e) {
      if (!query.signal?.aborted) throw e;
    }
  }
}
