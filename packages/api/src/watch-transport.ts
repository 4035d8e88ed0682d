// The two ways a client holds a watch open: a chunked HTTP response (one JSON line per event,
// BOOKMARK lines as heartbeats when the client allows them) and a WebSocket (one text message per event; ping/pong heartbeats,
// and a client that misses a pong is cut off). Both feed a WatchStream.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import type { ObjectStore } from '@coxswain/objects';
import type { EncodingCache } from './encoding-cache';
import { drained } from './http-response';
import { checkResourceVersion, listOptions, RequestScope } from './request-scope';
import { WatchSink, WatchStream } from './watch-stream';
import { wireNames } from '@coxswain/objects';
import { badRequest, toStatus } from './status';
import { UnavailableError } from '@coxswain/objects';

/** Default cap on the bytes one watch connection may hold unsent (ApiServerOptions.watchBufferBytes). */
export const DEFAULT_WATCH_BUFFER_BYTES = 8 * 1024 * 1024;
/** Past this many unsent bytes a transport asks the stream to let it drain (backpressure, not a cut-off). */
const BACKED_UP_BYTES = 64 * 1024;
/** A cut-off client that still does not read is dropped after this long (its unsent bytes are freed). */
const CUT_OFF_LINGER_MS = 30_000;

/**
 * Holds a connection's writes until the work of the current tick is done, then sends them in one go:
 * the events a burst hands a watcher (a transaction of several pods, an etcd response of many
 * revisions) leave in one write call instead of one each. With 100 watchers a burst of 80 events was
 * 8,000 writev calls back to back on the API server's one thread (docs/benchmarks.md, run 23).
 */
function corkUntilTickEnds(connection: { cork(): void; uncork(): void }): () => void {
  let corked = false;
  return () => {
    if (corked) return;
    corked = true;
    connection.cork();
    process.nextTick(() => {
      corked = false;
      connection.uncork();
    });
  };
}

function tooSlow(cap: number): string {
  return `watcher too slow: more than ${cap} bytes unsent; watch again from your last resourceVersion`;
}

export interface WatchDeps {
  store: ObjectStore;
  heartbeatMs: number;
  /** The server's set of open watches, closed on shutdown. */
  open: Set<WatchStream>;
  encodings?: EncodingCache;
  /** Bytes one watch connection may hold unsent before it is cut off. */
  bufferBytes?: number;
  /** Called once for each watcher cut off as too slow (metrics, logs). */
  onCutOff?: (transport: 'http' | 'websocket') => void;
}

function startStream(deps: WatchDeps, scope: RequestScope, query: URLSearchParams, sink: WatchSink): WatchStream {
  const stream = new WatchStream({
    ...listOptions(scope, query),
    store: deps.store,
    resource: scope.info.resource,
    codec: scope.codec,
    kind: wireNames(scope.info, scope.codec.version).kind,
    table: scope.table,
    resourceVersion: checkResourceVersion(query.get('resourceVersion')),
    sink,
    heartbeatMs: deps.heartbeatMs,
    encodings: deps.encodings,
  });
  deps.open.add(stream);
  // ?timeoutSeconds=: the watch ends cleanly then, as Kubernetes' does; clients (client-go's
  // reflector) ask for a few minutes and watch again from their last resourceVersion.
  const timeout = timeoutSecondsOf(query);
  const timer = timeout === undefined ? undefined : setTimeout(() => stream.close(), timeout * 1000);
  timer?.unref();
  void stream.done.finally(() => {
    if (timer) clearTimeout(timer);
    deps.open.delete(stream);
  });
  return stream;
}

function timeoutSecondsOf(query: URLSearchParams): number | undefined {
  const value = query.get('timeoutSeconds');
  if (value === null || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value)) {
    throw badRequest(`invalid timeoutSeconds "${value}": a whole number of seconds`, { causes: [{ field: 'timeoutSeconds', message: 'must be a whole number of seconds', reason: 'FieldValueInvalid' }] });
  }
  return Number(value) > 0 ? Number(value) : undefined;
}

/** Validates the watch's query (throws a 400 before anything is sent). */
export function checkWatchQuery(scope: RequestScope, query: URLSearchParams): void {
  listOptions(scope, query);
  checkResourceVersion(query.get('resourceVersion'));
  timeoutSecondsOf(query);
}

export function serveHttpWatch(deps: WatchDeps, res: ServerResponse, scope: RequestScope, query: URLSearchParams): WatchStream {
  checkWatchQuery(scope, query);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
  res.flushHeaders();
  // Bookmarks only when asked for (client-go fails on an unasked one): an HTTP watch has no other heartbeat.
  const bookmarks = query.get('allowWatchBookmarks') === 'true';
  const cap = deps.bufferBytes ?? DEFAULT_WATCH_BUFFER_BYTES;
  let ended = false;
  let stream: WatchStream | undefined = undefined;
  const cork = corkUntilTickEnds(res);
  const sink: WatchSink = {
    write(message) {
      if (ended) return;
      if (res.writableLength + message.length > cap) {
        // The last line it will get names the reason; the stream then ends, and a client that still
        // does not read is dropped with what it left unsent.
        ended = true;
        deps.onCutOff?.('http');
        res.write(JSON.stringify({ type: 'ERROR', object: toStatus(new UnavailableError(tooSlow(cap)), { version: scope.codec.version }) }) + '\n');
        // Once flushed, the connection closes too (no keep-alive for a client we just dropped).
        const socket = res.socket; // detached from res once the response has finished
        res.end(() => socket?.end());
        socket?.setTimeout(CUT_OFF_LINGER_MS, () => socket.destroy());
        stream?.close();
        return;
      }
      cork();
      res.write(message + '\n');
      if (res.writableLength > BACKED_UP_BYTES) return drained(res);
    },
    heartbeat(bookmark) {
      if (!ended && bookmarks) res.write(bookmark + '\n');
    },
    end() {
      if (ended) return;
      ended = true;
      res.end();
    },
  };
  stream = startStream(deps, scope, query, sink);
  res.on('close', () => stream?.close());
  return stream;
}

/** `socket`: the upgraded connection under `ws` (what its writes are corked on). */
export function serveWebSocketWatch(deps: WatchDeps, ws: WebSocket, socket: Duplex, scope: RequestScope, query: URLSearchParams): WatchStream {
  const cap = deps.bufferBytes ?? DEFAULT_WATCH_BUFFER_BYTES;
  const bookmarks = query.get('allowWatchBookmarks') === 'true';
  let alive = true;
  ws.on('pong', () => (alive = true));
  let stream: WatchStream | undefined = undefined;
  const cork = corkUntilTickEnds(socket);
  const sink: WatchSink = {
    write(message) {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount + message.length > cap) {
        // The close frame queues behind what is unsent; ws drops the socket if the client does not
        // answer it within its close timeout (30 s), freeing the buffer.
        deps.onCutOff?.('websocket');
        ws.close(1008, tooSlow(cap).slice(0, 120)); // a close reason is at most 123 bytes
        stream?.close();
        return;
      }
      cork();
      if (ws.bufferedAmount <= BACKED_UP_BYTES) {
        ws.send(message);
        return;
      }
      // Backed up: settle once this message is written out (or the socket failed).
      return new Promise<void>((resolve) => ws.send(message, () => resolve()));
    },
    heartbeat(bookmark) {
      if (ws.readyState !== ws.OPEN) return;
      if (!alive) {
        // No pong since the last ping: the peer or the path to it is dead.
        ws.terminate();
        stream?.close();
        return;
      }
      alive = false;
      ws.ping();
      if (bookmarks) ws.send(bookmark);
    },
    end() {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000, 'watch ended');
    },
  };
  stream = startStream(deps, scope, query, sink);
  ws.on('close', () => stream?.close());
  ws.on('error', () => stream?.close());
  return stream;
}

