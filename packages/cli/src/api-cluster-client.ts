// ClusterClient over the API package's typed client: one ApiClient per wire version, its resuming
// WebSocket watch, and its errors translated into the CLI's (ServerError / UnreachableError).
import { ApiClient, ApiError, ApiUnreachableError } from '@coxswain/api';
import type { ResourceName } from '@coxswain/store';
import { ClusterClient, ListQuery, ListResponse, LogQuery, ServerError, UnreachableError, WatchHandle, WatchOptions, WireVersion } from './cluster-client';
import type { JsonObject } from './object-fields';

export interface ApiClusterClientOptions {
  server: string;
  token?: string;
  /** Where the server address came from (for the unreachable message). */
  source: string;
  timeoutMs?: number;
}

export class ApiClusterClient implements ClusterClient {
  readonly server: string;
  private readonly clients: Record<WireVersion, ApiClient>;
  private readonly source: string;

  constructor(opts: ApiClusterClientOptions) {
    this.server = opts.server;
    this.source = opts.source;
    const make = (version: WireVersion) => new ApiClient({ server: opts.server, token: opts.token, version, timeoutMs: opts.timeoutMs });
    this.clients = { v1beta1: make('v1beta1'), v1: make('v1') };
  }

  /** Every call goes through here so that errors reach the user in the CLI's terms. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.translate(e);
    }
  }

  private translate(e: unknown): unknown {
    if (e instanceof ApiUnreachableError) return new UnreachableError(this.server, this.source, e.message.replace(/^cannot reach the API server at \S+: /, ''));
    if (e instanceof ApiError) return new ServerError(e.code, e.reason, e.message, e.causes);
    return e;
  }

  list(version: WireVersion, resource: ResourceName, query: ListQuery = {}): Promise<ListResponse> {
    return this.call(async () => {
      const l = await this.clients[version].list<JsonObject>(resource, query);
      return { items: l.items, resourceVersion: l.resourceVersion };
    });
  }

  get(version: WireVersion, resource: ResourceName, name: string): Promise<JsonObject> {
    return this.call(() => this.clients[version].get<JsonObject>(resource, name));
  }

  create(version: WireVersion, resource: ResourceName, body: JsonObject): Promise<JsonObject> {
    return this.call(() => this.clients[version].create<JsonObject>(resource, body));
  }

  update(version: WireVersion, resource: ResourceName, name: string, body: JsonObject): Promise<JsonObject> {
    return this.call(() => this.clients[version].update<JsonObject>(resource, body, { name }));
  }

  delete(version: WireVersion, resource: ResourceName, name: string): Promise<void> {
    return this.call(async () => {
      await this.clients[version].delete(resource, name);
    });
  }

  serverVersion(): Promise<JsonObject | undefined> {
    return this.call(async () => {
      const res = await this.clients.v1beta1.request('GET', '/version', { allowErrors: true });
      return res.status === 200 ? (res.body as JsonObject) : undefined;
    });
  }

  logs(pod: string, query: LogQuery): Promise<AsyncIterable<Buffer | string>> {
    return this.call(async () => {
      const stream = await this.clients.v1beta1.logs(pod, { container: query.container, follow: query.follow, tail: query.tail });
      query.signal?.addEventListener('abort', () => stream.destroy(), { once: true });
      return stream;
    });
  }

  watch(version: WireVersion, resource: ResourceName, opts: WatchOptions): WatchHandle {
    const w = this.clients[version].watch(resource, {
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      resourceVersion: opts.resourceVersion,
      onEvent: (e) => opts.onEvent({ type: e.type, object: e.object as JsonObject }),
      onExpired: opts.onExpired,
      onError: (err) => opts.onError?.(this.translate(err) as Error),
      backoff: { initialMs: 200, maxMs: 5_000 },
    });
    const done = w.done.catch((e) => {
      throw this.translate(e);
    });
    done.catch(() => undefined);
    return { close: () => w.close(), done };
  }
}
