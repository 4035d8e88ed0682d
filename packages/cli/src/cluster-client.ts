// What the CLI needs from the API server, in one interface: the verbs are written against this, so
// the transport (the API package's typed client, or plain fetch/WebSocket) can be swapped.
import type { ResourceName } from '@coxswain/store';
import type { JsonObject } from './object-fields';

/** v1beta1 is the seed's wire format; v1 is the internal (metadata/spec/status) form. */
export type WireVersion = 'v1beta1' | 'v1';

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ListResponse {
  items: JsonObject[];
  resourceVersion: string;
}

export interface WatchMessage {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR' | 'BOOKMARK';
  object: JsonObject;
}

/** Iterates until the server or the network ends the stream (then the caller resumes), or close(). */
export interface WatchStreamHandle extends AsyncIterable<WatchMessage> {
  close(): void;
}

export interface LogQuery {
  container?: string;
  follow?: boolean;
  tail?: number;
  signal?: AbortSignal;
}

export interface ClusterClient {
  readonly server: string;
  list(version: WireVersion, resource: ResourceName, query?: ListQuery): Promise<ListResponse>;
  get(version: WireVersion, resource: ResourceName, name: string): Promise<JsonObject>;
  create(version: WireVersion, resource: ResourceName, body: JsonObject): Promise<JsonObject>;
  /** PUT; the body's resourceVersion makes it a compare-and-swap (409 when stale). */
  update(version: WireVersion, resource: ResourceName, name: string, body: JsonObject): Promise<JsonObject>;
  delete(version: WireVersion, resource: ResourceName, name: string): Promise<void>;
  watch(version: WireVersion, resource: ResourceName, query: ListQuery & { resourceVersion?: string }): WatchStreamHandle;
  logs(pod: string, query: LogQuery): AsyncIterable<string>;
  /** The server's /version document, if it has one. */
  serverVersion(): Promise<JsonObject | undefined>;
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

/** The server did not answer at all. */
export class UnreachableError extends Error {
  constructor(readonly server: string, readonly source: string, cause?: unknown) {
    super(
      `The connection to the server ${server} was refused or failed (${describeCause(cause)}); ` +
        `is the API server running? Set another address with -s/--server or KUBE_SERVER` +
        (source === 'default' ? '' : ` (this one came from ${source})`) +
        '.',
    );
    this.name = 'UnreachableError';
  }
}

function describeCause(cause: unknown): string {
  const c = cause as { code?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  return c?.cause?.code ?? c?.code ?? c?.cause?.message ?? c?.message ?? 'no answer';
}
