// A watch that survives: over WebSocket, it remembers the last resourceVersion it saw (events and
// bookmarks), reconnects from there after a drop with jittered backoff, and when the server says
// the revision is gone (410) asks the caller to relist and carries on. A connection that goes
// silent (no event, bookmark or ping) is presumed dead and replaced.
import WebSocket from 'ws';
import { Backoff } from './backoff';
import { createLogger } from '@coxswain/process';
import type { BackoffOptions } from './backoff';
import { ApiError, ApiUnreachableError, networkDetail } from './api-error';
import { resourcePathPrefix } from '@coxswain/objects';
import type { Status } from '@coxswain/objects';

const log = createLogger('watch-client');

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ClientWatchEvent<T = Record<string, unknown>> {
  type: WatchEventType;
  object: T;
}

export interface WatchClientOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Resume after this revision; omit to receive the current objects as ADDED first. */
  resourceVersion?: string;
  /** Called in order, one at a time; the next event waits for the returned promise. */
  onEvent(event: ClientWatchEvent): void | Promise<void>;
  /**
   * The revision expired (410): relist and return the resourceVersion to resume from. Returning
   * undefined (or having no callback) makes the server send the current objects as ADDED again.
   */
  onExpired?(): string | undefined | void | Promise<string | undefined | void>;
  /** A connection failed or dropped (the watch retries by itself); for logging. */
  onError?(err: Error): void;
  /** Every successful (re)connection. */
  onConnected?(): void;
  /** Reconnect backoff; defaults 200 ms .. 30 s, jittered. */
  backoff?: BackoffOptions;
  /** No event, bookmark or ping for this long ends the connection. Default 30 s (server heartbeats every 10 s). */
  idleTimeoutMs?: number;
}

export interface WatchTarget {
  server: string;
  token?: string;
  version: string;
  resource: string;
}

type Outcome = { kind: 'closed' } | { kind: 'dropped'; error: Error } | { kind: 'expired' } | { kind: 'fatal'; error: ApiError };

export class WatchClient {
  private lastRv?: string;
  private closed = false;
  private ws?: WebSocket;
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  /** Settles when the watch stops: after close(), or rejected by a permanent error (401, 404, ...). */
  readonly done: Promise<void>;

  constructor(
    private readonly target: WatchTarget,
    private readonly opts: WatchClientOptions,
  ) {
    this.lastRv = opts.resourceVersion;
    this.backoff = new Backoff(opts.backoff);
    this.done = this.loop();
    this.done.catch(() => undefined);
  }

  /** The last revision this watch has seen everything up to. */
  get resourceVersion(): string | undefined {
    return this.lastRv;
  }

  close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    this.ws?.close(1000);
    return this.done.catch(() => undefined);
  }

  private wsUrl(): string {
    const u = new URL(`${resourcePathPrefix(this.target.resource, this.target.version)}/watch/${this.target.resource}`, this.target.server + '/');
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = u.searchParams;
    if (this.opts.namespace !== undefined) q.set('namespace', this.opts.namespace);
    if (this.opts.labelSelector) q.set('labelSelector', this.opts.labelSelector);
    if (this.opts.fieldSelector) q.set('fieldSelector', this.opts.fieldSelector);
    if (this.lastRv) q.set('resourceVersion', this.lastRv);
    q.set('allowWatchBookmarks', 'true');
    return u.toString();
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      const outcome = await this.connectOnce();
      if (this.closed) return;
      if (outcome.kind === 'fatal') throw outcome.error;
      if (outcome.kind === 'expired') {
        try {
          const rv = await this.opts.onExpired?.();
          this.lastRv = typeof rv === 'string' && rv !== '' ? rv : undefined;
        } catch (e) {
          this.opts.onError?.(e as Error);
          await this.backoff.wait(this.abort.signal);
        }
        continue;
      }
      if (outcome.kind === 'dropped') {
        this.opts.onError?.(outcome.error);
        log.debug({ err: outcome.error.message, resource: this.target.resource, rv: this.lastRv }, 'watch dropped; reconnecting');
      }
      await this.backoff.wait(this.abort.signal);
    }
  }

  private connectOnce(): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const headers: Record<string, string> = {};
      if (this.target.token) headers.Authorization = `Bearer ${this.target.token}`;
      const ws = new WebSocket(this.wsUrl(), { headers, handshakeTimeout: 10_000 });
      this.ws = ws;
      let outcome: Outcome | undefined;
      let queue: Promise<void> = Promise.resolve();
      const idleMs = this.opts.idleTimeoutMs ?? 30_000;
      let idle: NodeJS.Timeout | undefined;
      const touch = () => {
        if (idle) clearTimeout(idle);
        idle = setTimeout(() => {
          outcome ??= { kind: 'dropped', error: new Error(`watch silent for ${idleMs} ms`) };
          ws.terminate();
        }, idleMs);
      };
      const finish = () => {
        if (idle) clearTimeout(idle);
        // Deliver what already arrived before deciding what comes next.
        void queue.then(() => resolve(this.closed ? { kind: 'closed' } : (outcome ?? { kind: 'dropped', error: new Error('watch connection closed') })));
      };

      ws.on('open', () => {
        touch();
        this.opts.onConnected?.();
      });
      ws.on('ping', touch);
      ws.on('unexpected-response', (_req, res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let err: ApiError;
          try {
            const parsed = JSON.parse(text);
            err = parsed?.kind === 'Status' ? new ApiError(parsed) : ApiError.fromResponse(res.statusCode ?? 0, res.statusMessage ?? '', text, this.target.version);
          } catch {
            err = ApiError.fromResponse(res.statusCode ?? 0, res.statusMessage ?? '', text, this.target.version);
          }
          // Retry what may pass (overload, shutdown); give up on what will not (auth, unknown resource, bad query).
          const retriable = err.code >= 500 || err.code === 429 || err.code === 410;
          outcome = err.code === 410 ? { kind: 'expired' } : retriable ? { kind: 'dropped', error: err } : { kind: 'fatal', error: err };
          ws.terminate();
          finish();
        });
      });
      ws.on('message', (data) => {
        touch();
        let msg: { type?: string; object?: Record<string, unknown> };
        try {
          msg = JSON.parse(data.toString());
        } catch (e) {
          outcome = { kind: 'dropped', error: new Error(`unparseable watch message: ${(e as Error).message}`) };
          ws.terminate();
          return;
        }
        if (msg.type === 'BOOKMARK') {
          const rv = rvOf(msg.object);
          if (rv) queue = queue.then(() => void (this.lastRv = rv));
          return;
        }
        if (msg.type === 'ERROR') {
          const status = msg.object as unknown as Status;
          outcome = status?.code === 410 ? { kind: 'expired' } : { kind: 'dropped', error: new ApiError(status) };
          ws.close(1000);
          return;
        }
        if (msg.type !== 'ADDED' && msg.type !== 'MODIFIED' && msg.type !== 'DELETED') return;
        const event = { type: msg.type, object: msg.object ?? {} } as ClientWatchEvent;
        queue = queue.then(async () => {
          if (this.closed) return;
          try {
            await this.opts.onEvent(event);
          } catch (e) {
            this.opts.onError?.(e as Error);
          }
          const rv = rvOf(event.object);
          if (rv) this.lastRv = rv;
        });
      });
      ws.on('error', (e) => {
        outcome ??= { kind: 'dropped', error: new ApiUnreachableError(this.target.server, networkDetail(e)) };
      });
      ws.on('close', finish);
    });
  }
}

function rvOf(obj: unknown): string | undefined {
  const o = obj as { resourceVersion?: unknown; metadata?: { resourceVersion?: unknown } } | undefined;
  const rv = o?.resourceVersion ?? o?.metadata?.resourceVersion;
  return rv === undefined || rv === null || rv === '' ? undefined : String(rv);
}
