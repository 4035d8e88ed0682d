// ClusterClient over the API package's typed client: one ApiClient per wire version, its resuming
// WebSocket watch, and its errors translated into the CLI's (ServerError / UnreachableError). Every
// request names the client's namespace explicitly (the server reads a missing one as "default").
import { DEFAULT_NAMESPACE } from '@coxswain/objects';
import { ApiClient, ApiError, ApiUnreachableError } from '@coxswain/client';
import type { ResourceName } from '@coxswain/objects';
import { ClusterClient, ListQuery, ListResponse, LogQuery, ServerError, UnreachableError, WatchHandle, WatchOptions, WireVersion } from './cluster-client';
import type { JsonObject } from '@coxswain/objects';

export interface ApiClusterClientOptions {
  server: string;
  token?: string;
  /** Where the server address came from (for the unreachable message). */
  source: string;
  timeoutMs?: number;
  /** Default "default". */
  namespace?: string;
}

export class ApiClusterClient implements ClusterClient {
  readonly server: string;
  readonly namespace: string;
  private readonly clients: Record<WireVersion, ApiClient>;
  private readonly source: string;

  constructor(private readonly opts: ApiClusterClientOptions) {
    this.server = opts.server;
    this.namespace = opts.namespace ?? DEFAULT_NAMESPACE;
    this.source = opts.source;
    const make = (version: WireVersion) => new ApiClient({ server: opts.server, token: opts.token, version, timeoutMs: opts.timeoutMs });
    this.clients = { v1beta1: make('v1beta1'), v1: make('v1') };
  }

  inNamespace(namespace: string): ApiClusterClient {
    return namespace === this.namespace ? this : new ApiClusterClient({ ...this.opts, namespace });
  }

  /** The API's convention: `?namespace=` (empty) lists every namespace. */
  private listNamespace(q: { allNamespaces?: boolean }): string {
    return q.allNamespaces ? '' : this.namespace;
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
      const l = await this.clients[version].list<JsonObject>(resource, {
        labelSelector: query.labelSelector,
        fieldSelector: query.fieldSelector,
        namespace: this.listNamespace(query),
      });
      return { items: l.items, resourceVersion: l.resourceVersion };
    });
  }

  get(version: WireVersion, resource: ResourceName, name: string): Promise<JsonObject> {
    return this.call(() => this.clients[version].get<JsonObject>(resource, name, { namespace: this.namespace }));
  }

  create(version: WireVersion, resource: ResourceName, body: JsonObject): Promise<JsonObject> {
    return this.call(() => this.clients[version].create<JsonObject>(resource, body, { namespace: this.namespace }));
  }

  update(version: WireVersion, resource: ResourceName, name: string, body: JsonObject): Promise<JsonObject> {
    return this.call(() => this.clients[version].update<JsonObject>(resource, body, { name, namespace: this.namespace }));
  }

  patch(version: WireVersion, resource: ResourceName, name: string, patch: JsonObject): Promise<JsonObject> {
    return this.call(() => this.clients[version].patch<JsonObject>(resource, name, patch, { namespace: this.namespace }));
  }

  delete(version: WireVersion, resource: ResourceName, name: string): Promise<void> {
    return this.call(async () => {
      await this.clients[version].delete(resource, name, { namespace: this.namespace });
    });
  }

  serverVersion(): Promise<JsonObject | undefined> {
    return this.call(async () => {
      const res = await this.clients.v1beta1.request('GET', '/version', { allowErrors: true });
      return res.status === 200 ? (res.body as JsonObject) : undefined;
    });
  }

  metrics(kind: 'pods' | 'nodes', query: ListQuery = {}): Promise<JsonObject[] | undefined> {
    return this.call(async () => {
      const ns = kind === 'pods' ? this.listNamespace(query) : '';
      const path = `/apis/metrics.k8s.io/v1beta1${ns ? `/namespaces/${encodeURIComponent(ns)}` : ''}/${kind}`;
      const res = await this.clients.v1.request('GET', path, { allowErrors: true, query: { labelSelector: query.labelSelector } });
      if (res.status === 404) return undefined;
      if (res.status !== 200) {
        const body = (res.body ?? {}) as { reason?: string; message?: string };
        throw new ServerError(res.status, body.reason ?? 'Unknown', body.message ?? `HTTP ${res.status}`);
      }
      return ((res.body as { items?: JsonObject[] }).items ?? []) as JsonObject[];
    });
  }

  logs(pod: string, query: LogQuery): Promise<AsyncIterable<Buffer | string>> {
    return this.call(async () => {
      const stream = await this.clients.v1beta1.logs(pod, { namespace: this.namespace, container: query.container, follow: query.follow, tail: query.tail });
      query.signal?.addEventListener('abort', () => stream.destroy(), { once: true });
      return stream;
    });
  }

  watch(version: WireVersion, resource: ResourceName, opts: WatchOptions): WatchHandle {
    const w = this.clients[version].watch(resource, {
      namespace: this.listNamespace(opts),
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
