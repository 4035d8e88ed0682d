// One etcd watch stream over a key prefix, as an async iterable of ADDED / MODIFIED / DELETED.
//
// Each Watch owns its own gRPC stream (not the etcd3 library's shared, self-reconnecting watcher):
// a compaction must surface as ExpiredError with etcd's compact revision, and a broken stream as
// UnavailableError, so that the caller (an informer) decides whether to resume or relist. Events
// are buffered from the moment the stream is created, so none are lost before the first next().
// A progress request every few seconds doubles as a heartbeat: a stream etcd stops answering is
// failed instead of trusted.
//
// What onProgress reports: never the header revision of etcd's progress response. In etcd before
// 3.4.24/3.5.8 (etcd-io/etcd#15220) a requested progress notification is not ordered with the events
// still queued for the watcher, so its revision can be ahead of events not yet sent; a client that
// resumed from it would skip them for good. onProgress instead reports the newest revision R such
// that every event at or below R has been handed to the consumer (or filtered out): the start revision
// until the first event, then the events actually taken from this watch. Progress still proves the
// stream is alive; it just never lets anyone resume past an undelivered event.
import type { Etcd3, IDuplexStream, IEvent, IKeyValue, IWatchRequest, IWatchResponse } from 'etcd3';
import { ExpiredError, isStoreError, UnavailableError } from '@coxswain/objects';
import { StorageCodec } from './storage-codec';
import { keyIdentity, prefixRangeEnd } from './key-range';
import { EventQueue, watchIterator } from './event-queue';
import type { Logger } from '@coxswain/process';
import type { Watch, WatchEvent, KubeObject } from '@coxswain/objects';

export interface EtcdWatchOptions {
  prefix: string;
  /** Deliver changes after this revision; undefined for "from now". */
  afterRevision?: string;
  /** Object filter (label and field selectors); an object that stops matching is reported DELETED. */
  filter?: (obj: KubeObject) => boolean;
  onProgress?: (revision: string) => void;
  /**
   * Ask etcd for each event's previous value (prev_kv). Without it a DELETED event carries only the
   * object's identity from its key; a filter needs it. Default true.
   */
  previousValues?: boolean;
  /** How often to ask etcd for progress; the stream fails after 3 intervals of silence. 0 disables. */
  progressIntervalMs: number;
  logger: Logger;
  /** How values turn into objects (decryption included); default plain JSON. */
  codec?: StorageCodec;
}

const PLAIN = new StorageCodec();

// Past this many undelivered events the stream is paused (gRPC flow control pushes back on etcd).
const HIGH_WATER = 10_000;
const LOW_WATER = 1_000;

export class EtcdWatch<T extends KubeObject = KubeObject> implements Watch<T> {
  private readonly queue = new EventQueue<WatchEvent<T>>();
  private error?: Error;
  private done = false;
  private wake?: () => void;
  private stream?: IDuplexStream<IWatchRequest, IWatchResponse>;
  private timer?: NodeJS.Timeout;
  private lastHeard = Date.now();
  private paused = false;
  /** Newest revision of any event etcd sent on this stream (filtered ones too). */
  private receivedRevision?: bigint;
  /** Every event at or below this revision has been handed out by next() or filtered out. */
  private safeRevision?: bigint;
  private resolveReady!: (revision: string) => void;
  /** Resolves with the revision etcd created the watch at (events after it will be delivered). */
  readonly ready: Promise<string>;

  constructor(
    private readonly client: Etcd3,
    private readonly opts: EtcdWatchOptions,
    private readonly onEnd: (w: EtcdWatch<T>) => void = () => undefined,
  ) {
    this.ready = new Promise<string>((resolve) => (this.resolveReady = resolve));
    if (opts.afterRevision !== undefined) this.safeRevision = BigInt(opts.afterRevision);
    void this.start();
  }

  private async start(): Promise<void> {
    let stream: IDuplexStream<IWatchRequest, IWatchResponse>;
    try {
      stream = await this.client.watchClient.watch();
    } catch (err) {
      this.fail(new UnavailableError(`cannot open an etcd watch stream: ${(err as Error).message}`, err));
      return;
    }
    if (this.done) {
      stream.on('error', () => undefined);
      stream.end();
      stream.cancel();
      return;
    }
    this.stream = stream;
    stream.on('data', (res) => {
      try {
        this.onResponse(res);
      } catch (err) {
        this.fail(isStoreError(err) ? err : new UnavailableError(`bad watch response: ${(err as Error).message}`, err));
      }
    });
    stream.on('error', (err) => this.fail(new UnavailableError(`etcd watch failed: ${err.message}`, err)));
    stream.on('end', () => this.fail(new UnavailableError('etcd closed the watch stream')));
    const prefix = Buffer.from(this.opts.prefix);
    stream.write({
      create_request: {
        key: prefix,
        range_end: prefixRangeEnd(prefix),
        start_revision: this.opts.afterRevision === undefined ? 0 : (BigInt(this.opts.afterRevision) + 1n).toString(),
        prev_kv: this.opts.previousValues ?? true,
        progress_notify: true,
      },
    });
    this.lastHeard = Date.now();
    const every = this.opts.progressIntervalMs;
    if (every > 0) {
      this.timer = setInterval(() => this.heartbeat(every), every);
      this.timer.unref();
    }
  }

  private heartbeat(every: number): void {
    if (this.done || !this.stream) return;
    if (this.paused) {
      this.lastHeard = Date.now(); // we stopped reading; silence is ours
      return;
    }
    if (Date.now() - this.lastHeard > 3 * every) {
      this.fail(new UnavailableError(`no word from etcd on a watch stream for ${Math.round((Date.now() - this.lastHeard) / 1000)} s`));
      return;
    }
    this.stream.write({ progress_request: {} });
  }

  private onResponse(res: IWatchResponse): void {
    if (this.done) return;
    this.lastHeard = Date.now();
    if (res.compact_revision && res.compact_revision !== '0') {
      this.fail(new ExpiredError(this.opts.afterRevision ?? res.header.revision, res.compact_revision));
      return;
    }
    if (res.canceled) {
      this.fail(new UnavailableError(`etcd canceled the watch${res.cancel_reason ? `: ${res.cancel_reason}` : ''}`));
      return;
    }
    if (res.created) {
      // etcd answers a create with its current revision. For a watch from now that is where the
      // events start; for a watch from a past revision the events in between are still to come, so
      // only the start revision (set in the constructor) is known to be delivered.
      if (this.opts.afterRevision === undefined) this.advanceSafe(BigInt(res.header.revision));
      this.resolveReady(res.header.revision);
      return;
    }
    if (res.events.length === 0) {
      // res.header.revision is deliberately ignored: it may be ahead of events still queued in etcd.
      if (this.safeRevision !== undefined) this.opts.onProgress?.(this.safeRevision.toString());
      return;
    }
    for (const ev of res.events) {
      const rev = BigInt(ev.kv.mod_revision);
      if (this.receivedRevision === undefined || rev > this.receivedRevision) this.receivedRevision = rev;
      const out = this.convert(ev);
      if (out) this.queue.push(out);
    }
    // Nothing undelivered (every event was filtered out): all that was received is accounted for.
    if (this.queue.length === 0) this.advanceSafe(this.receivedRevision);
    if (!this.paused && this.queue.length > HIGH_WATER) {
      this.paused = true;
      (this.stream as unknown as NodeJS.ReadableStream).pause();
    }
    this.notify();
  }

  private advanceSafe(rev: bigint | undefined): void {
    if (rev !== undefined && (this.safeRevision === undefined || rev > this.safeRevision)) this.safeRevision = rev;
  }

  /** After handing out `taken`: how far every event is now delivered. */
  private noteDelivered(taken: WatchEvent<T>): void {
    if (this.queue.length === 0) {
      this.advanceSafe(this.receivedRevision);
      return;
    }
    const rev = BigInt(taken.revision);
    // Events of one transaction share a revision: a revision counts once its last event is out.
    const nextRev = BigInt(this.queue.peek()!.revision);
    this.advanceSafe(nextRev > rev ? rev : rev - 1n);
  }

  private decode(kv: IKeyValue, revision: string): T {
    return (this.opts.codec ?? PLAIN).decode<T>(kv.key, kv.value, revision);
  }

  private convert(ev: IEvent): WatchEvent<T> | undefined {
    const out = this.eventOf(ev);
    if (out) out.key = ev.kv.key.toString();
    return out;
  }

  private eventOf(ev: IEvent): WatchEvent<T> | undefined {
    const kv = ev.kv;
    const revision = kv.mod_revision;
    const filter = this.opts.filter;
    if (String(ev.type).toUpperCase() === 'DELETE') {
      if (this.opts.previousValues === false) return { type: 'DELETED', object: this.identityOf(kv.key, revision), revision };
      if (!ev.prev_kv) {
        this.opts.logger.warn({ key: kv.key.toString(), revision }, 'delete event without the previous value; skipped');
        return undefined;
      }
      const prev = this.decode(ev.prev_kv, revision);
      return !filter || filter(prev) ? { type: 'DELETED', object: prev, revision } : undefined;
    }
    const cur = this.decode(kv, revision);
    if (!filter) return { type: kv.create_revision === kv.mod_revision ? 'ADDED' : 'MODIFIED', object: cur, revision };
    const curMatches = filter(cur);
    const prev = ev.prev_kv && kv.create_revision !== kv.mod_revision ? this.decode(ev.prev_kv, revision) : undefined;
    const prevMatches = prev !== undefined && filter(prev);
    if (curMatches) return { type: prevMatches ? 'MODIFIED' : 'ADDED', object: cur, revision };
    // Stopped matching: to this watcher the object is gone (as the Kubernetes watch cache reports it).
    if (prevMatches) return { type: 'DELETED', object: prev!, revision };
    return undefined;
  }

  /** What a DELETED event carries without the previous value: the object's name and namespace, from its key. */
  private identityOf(key: Buffer, revision: string): T {
    const { namespace, name } = keyIdentity(key.toString());
    return { metadata: { name, ...(namespace ? { namespace } : {}), resourceVersion: revision } } as T;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private fail(err: Error): void {
    if (this.done || this.error) return;
    this.opts.logger.debug({ err: err.message, prefix: this.opts.prefix }, 'watch ended');
    this.error = err;
    this.teardown();
    this.notify();
  }

  private teardown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const s = this.stream;
    this.stream = undefined;
    if (s) {
      try {
        // Half-close first: the etcd3 library treats an error on a still-writable stream (our own
        // cancel included) as a failed host and drops every gRPC client for it.
        s.end();
        s.cancel();
      } catch {
        // already gone
      }
    }
    this.onEnd(this);
  }

  close(): void {
    if (this.done) return;
    const hadError = this.error !== undefined;
    this.done = true;
    this.queue.clear();
    if (!hadError) this.teardown();
    this.notify();
  }

  private async next(): Promise<IteratorResult<WatchEvent<T>>> {
    for (;;) {
      if (this.done) return { done: true, value: undefined };
      const value = this.queue.shift();
      if (value) {
        this.noteDelivered(value);
        if (this.paused && this.queue.length < LOW_WATER && this.stream) {
          this.paused = false;
          (this.stream as unknown as NodeJS.ReadableStream).resume();
        }
        return { done: false, value };
      }
      if (this.error) {
        const err = this.error;
        this.done = true;
        throw err;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    return watchIterator(() => this.next(), () => this.close());
  }
}

