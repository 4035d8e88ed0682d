// The two ways a client holds a watch open: a chunked HTTP response (one JSON line per event,
// BOOKMARK lines as heartbeats when the client allows them) and a WebSocket (one text message per event; ping/pong heartbeats,
// and a client that misses a pong is cut off). Both feed a WatchStream.
import type { ServerResponse } from 'node:http';
import type WebSocket from 'ws';
import type { ObjectStore } from '@coxswain/objects';
import type { EncodingCache } from './encoding-cache';
import { drained } from './http-response';
import { checkResourceVersion, listOptions, RequestScope } from './request-scope';
import { WatchSink, WatchStream } from './watch-stream';
import { wireNames } from '@coxswain/objects';
import { badRequest } from './status';

/** A WebSocket whose buffer grows past this is a client that cannot keep up: it is cut off and must resume. */
const MAX_WS_BUFFERED = 16 * 1024 * 1024;

export interface WatchDeps {
  store: ObjectStore;
  heartbeatMs: number;
  /** The server's set of open watches, closed on shutdown. */
  open: Set<WatchStream>;
  encodings?: EncodingCache;
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
  let ended = false;
  const sink: WatchSink = {
    async write(message) {
      if (ended) return;
      if (!res.write(message + '\n')) await drained(res);
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
  const stream = startStream(deps, scope, query, sink);
  res.on('close', () => stream.close());
  return stream;
}

export function serveWebSocketWatch(deps: WatchDeps, ws: WebSocket, scope: RequestScope, query: URLSearchParams): WatchStream {
  const bookmarks = query.get('allowWatchBookmarks') === 'true';
  let alive = true;
  ws.on('pong', () => (alive = true));
  let stream: WatchStream | undefined = undefined;
  const sink: WatchSink = {
    write(message) {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_WS_BUFFERED) {
        ws.close(1008, 'watcher too slow; resume from your last resourceVersion');
        stream?.close();
        return;
      }
      ws.send(message);
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
