// What the CLI needs from the API server, in one interface: the verbs are written against this, so
// the transport (the API package's typed client, or plain fetch/WebSocket) can be swapped.
import type { ResourceName } from '@coxswain/objects';
import type { JsonObject } from '@coxswain/objects';

/** v1beta1 is the seed's wire format; v1 is the internal (metadata/spec/status) form. */
export type WireVersion = 'v1beta1' | 'v1';

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  /** Every namespace instead of the client's own (`get -A`); items carry metadata.namespace. */
  allNamespaces?: boolean;
}

export interface ListResponse {
  items: JsonObject[];
  resourceVersion: string;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: JsonObject;
}

export interface WatchOptions extends ListQuery {
  /** Resume after this revision. */
  resourceVersion?: string;
  /** Called in order, one event at a time. */
  onEvent(event: WatchEvent): void | Promise<void>;
  /** The revision expired (410): relist and return the resourceVersion to resume from. */
  onExpired?(): Promise<string | undefined>;
  /** A connection dropped; the watch reconnects by itself from the last revision it saw. */
  onError?(err: Error): void;
}

/** A watch that resumes after dropped connections until close(); `done` rejects on a permanent error. */
export interface WatchHandle {
  close(): Promise<void>;
  readonly done: Promise<void>;
}

export interface LogQuery {
  container?: string;
  follow?: boolean;
  tail?: number;
  signal?: AbortSignal;
}

/**
 * Every call on namespaced resources is scoped to the client's `namespace` (non-namespaced ones,
 * minions, ignore it); `inNamespace` gives a client on the same server for another namespace.
 */
export interface ClusterClient {
  readonly server: string;
  readonly namespace: string;
  inNamespace(namespace: string): ClusterClient;
  list(version: WireVersion, resource: ResourceName, query?: ListQuery): Promise<ListResponse>;
  get(version: WireVersion, resource: ResourceName, name: string): Promise<JsonObject>;
  create(version: WireVersion, resource: ResourceName, body: JsonObject): Promise<JsonObject>;
  /** PUT; the body's resourceVersion makes it a compare-and-swap (409 when stale). */
  update(version: WireVersion, resource: ResourceName, name: string, body: JsonObject): Promise<JsonObject>;
  delete(version: WireVersion, resource: ResourceName, name: string): Promise<void>;
  /** PATCH with a JSON merge patch (RFC 7386) in `version`'s terms. */
  patch(version: WireVersion, resource: ResourceName, name: string, patch: JsonObject): Promise<JsonObject>;
  watch(version: WireVersion, resource: ResourceName, opts: WatchOptions): WatchHandle;
  logs(pod: string, query: LogQuery): Promise<AsyncIterable<Buffer | string>>;
  /** The server's /version document, if it has one. */
  serverVersion(): Promise<JsonObject | undefined>;
  /** metrics.k8s.io/v1beta1 PodMetrics (this namespace, or every one) or NodeMetrics; undefined when the server has no Metrics API. */
  metrics(kind: 'pods' | 'nodes', query?: ListQuery): Promise<JsonObject[] | undefined>;
}

/** An API Status error: printed as `Error from server (Reason): message`. */
export class ServerError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly causes: { field?: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ServerError';
  }
}

/** The server did not answer at all: says which address was tried, where it came from, and how to set another. */
export class UnreachableError extends Error {
  constructor(readonly server: string, readonly source: string, readonly detail: string) {
    super(
      `error: cannot reach the API server at ${server} (${detail})` +
        (source === 'default' ? ', the default address' : `, set by ${source}`) +
        '. Is it running? Point kubecfg at another with -s/--server URL or the KUBE_SERVER environment variable.',
    );
    this.name = 'UnreachableError';
  }
}
