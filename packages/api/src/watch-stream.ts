// One client's watch: (optionally) the current objects as ADDED, then every change from the store's
// watch, each as one `{type, object}` message in the client's wire version. An error from the store
// (a compacted revision: 410 Expired; etcd unreachable: 503) becomes one ERROR message carrying a
// Status, then the stream ends. A heartbeat tick keeps both ends sure the stream is alive.
import { createLogger } from '@coxswain/process';
import type { KubeObject, ListOptions, ObjectStore, ResourceName, Watch } from '@coxswain/objects';
import type { Codec } from './codecs/codec';
import type { EncodingCache } from './encoding-cache';
import { toStatus } from './status';
import { tableDocument, tableEnvelope, type TableOptions } from './table';

const log = createLogger('apiserver');

/** Where a watch writes: an HTTP chunked response or a WebSocket. */
export interface WatchSink {
  /**
   * Writes one JSON message. Returns a promise (settling when the transport can take more) once the
   * transport holds more than it sends at once. A sink caps what it holds for a client: past its cap
   * it cuts the client off (a close reason it can read) and ends the stream.
   */
  write(message: string): void | Promise<void>;
  /**
   * Called every heartbeat interval with a BOOKMARK message naming the newest revision the client has
   * seen everything up to; the sink sends it only when the client allowed bookmarks.
   */
  heartbeat(bookmark: string): void;
  /** Ends the transport (idempotent). */
  end(): void;
}

export interface WatchStreamOptions extends ListOptions {
  store: ObjectStore;
  resource: ResourceName;
  codec: Codec;
  kind: string;
  /** Resume after this revision; undefined or "0" sends the current objects as ADDED first. */
  resourceVersion?: string;
  sink: WatchSink;
  heartbeatMs: number;
  /** Shared encodings: many watchers of one change encode it once. */
  encodings?: EncodingCache;
  /** Events as meta.k8s.io Tables of one row (kubectl's `get -w`): the column definitions on the first. */
  table?: TableOptions;
}

const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

export class WatchStream {
  private watch?: Watch;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private lastRevision = '0';
  private tableHeadersSent = false;
  readonly done: Promise<void>;

  /** The resource watched (metrics count open watches by it). */
  get resource(): string {
    return this.opts.resource;
  }

  constructor(private readonly opts: WatchStreamOptions) {
    this.done = this.run();
  }

  private encodeEvent(type: string, object: unknown): string {
    return JSON.stringify({ type, object });
  }

  private encodeObjectEvent(type: string, obj: KubeObject): string {
    const { codec, resource, encodings, table } = this.opts;
    let json: string;
    if (table) {
      json = tableDocument(table, codec, resource, [obj], obj.metadata.resourceVersion, Date.now(), !this.tableHeadersSent, encodings);
      this.tableHeadersSent = true;
    } else {
      json = encodings ? encodings.encode(codec, resource, obj) : JSON.stringify(codec.encode(obj));
    }
    return `{"type":${JSON.stringify(type)},"object":${json}}`;
  }

  /** A bookmark names a revision the client has seen everything up to, so it can resume from there; it carries kind and apiVersion, as client-go's decoder needs. */
  private bookmarkMessage(revision: string): string {
    const { table, codec, kind } = this.opts;
    const object = table ? { ...tableEnvelope(table, this.opts.resource, revision, false), rows: [] } : { kind, apiVersion: codec.version, metadata: { resourceVersion: revision } };
    return JSON.stringify({ type: 'BOOKMARK', object });
  }

  private advance(revision: string | undefined): void {
    if (revision && BigInt(revision) > BigInt(this.lastRevision)) this.lastRevision = revision;
  }

  private async run(): Promise<void> {
    const { store, resource, codec, sink, namespace, labelSelector, fieldSelector } = this.opts;
    const filter: ListOptions = { namespace, labelSelector, fieldSelector };
    try {
      let from = this.opts.resourceVersion;
      if (from === undefined || from === '0') {
        const list = await store.list(resource, filter);
        for (const item of list.items) {
          if (this.closed) return;
          await sink.write(this.encodeObjectEvent('ADDED', item));
        }
        from = list.resourceVersion;
      }
      this.advance(from);
      if (this.closed) return;
      this.watch = store.watch(resource, { ...filter, resourceVersion: from, onProgress: (rev) => this.advance(rev) });
      this.timer = setInterval(() => {
        try {
          sink.heartbeat(this.bookmarkMessage(this.lastRevision));
        } catch (e) {
          log.warn({ err: e }, 'watch heartbeat failed');
        }
      }, this.opts.heartbeatMs);
      this.timer.unref();
      for await (const ev of this.watch) {
        if (this.closed) break;
        this.advance(ev.revision);
        // Live events do not wait for a slow client (the store's watch must keep being read, and the
        // sink's byte cap cuts off a client that never reads); a backed-up transport only makes us
        // yield to I/O, so a client that reads gets the chance to drain.
        if (sink.write(this.encodeObjectEvent(ev.type, ev.object))) await yieldToIo();
      }
    } catch (err) {
      if (!this.closed) {
        const status = toStatus(err, { version: codec.version, codec, resource, kind: this.opts.kind });
        if (status.code >= 500) log.warn({ err, resource }, 'watch ended by an error');
        try {
          await sink.write(this.encodeEvent('ERROR', status));
        } catch {
          /* the client is gone */
        }
      }
    } finally {
      this.close();
    }
  }

  /** Stops the store watch and ends the transport. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    try {
      this.watch?.close();
    } catch {
      /* already closed */
    }
    this.opts.sink.end();
  }
}
