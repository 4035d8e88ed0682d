// The API server: Node http + find-my-way routes + ws for WebSocket watches. One server for every
// wire version; a version is a Codec. Errors of every origin leave through toStatus.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { createLogger, metricsExposition, METRICS_CONTENT_TYPE } from '@coxswain/process';
import { countCutOff, countWatches, recordRequest, verbOf } from './api-metrics';
import { DEFAULT_NAMESPACE, Status, withTimeout } from '@coxswain/objects';
import type { ObjectStore } from '@coxswain/objects';
import type { Codec } from './codecs/codec';
import { isLoopbackAddress, isTokenProtocol, TokenAuthenticator } from './auth';
import { authorizeJoin, JOIN_PATH, joinRequestOf, type JoinInfo, type JoinRequest } from './join-info';
import { ConsoleAssets, isConsolePath } from './console-assets';
import { bindPod } from '@coxswain/registry';
import { parseBinding } from './binding';
import { sendJson, sendStatus } from './http-response';
import { proxyPodLog } from './pod-log-proxy';
import { POD_STREAM_PATH, proxyPodStream, type PodStreamVerb } from './pod-stream-proxy';
import { EncodingCache } from './encoding-cache';
import { WritePriority } from './write-priority';
import { DEFAULT_MAX_BODY_BYTES, readObjectBody } from './request-body';
import { objectNamespace, RequestScope, resolveScope, routeGroupVersion } from './request-scope';
import { createObject, deleteObject, getObject, listObjects, patchObject, RestDeps, updateObject } from './rest-handlers';
import { getScale, patchScale, putScale } from './scale';
import { Params, Router } from './router';
import { HttpError, notFound, successStatus, toStatus } from './status';
import { checkWatchQuery, serveHttpWatch, serveWebSocketWatch, WatchDeps } from './watch-transport';
import type { WatchStream } from './watch-stream';
import { METRICS_GROUP_VERSION, metricsRoutes } from './metrics-api';
import { tableOptions } from './table';
import { OpenApiV3 } from './openapi';
import { ENDPOINT_SLICES_GROUP_VERSION, endpointSliceRoutes } from './endpoint-slices';
import { NamespaceAdmission } from './namespace-admission';
import { apiGroups, apiResourceList, coreVersions } from './discovery';
import type { MetricsSource } from '@coxswain/client';

const log = createLogger('apiserver');

export interface ApiServerOptions {
  store: ObjectStore;
  /** The wire versions served, e.g. [v1beta1Codec, v1Codec]. */
  codecs: readonly Codec[];
  /** Default 127.0.0.1. Any non-loopback address requires tokens. */
  address?: string;
  /** Default 8080; 0 picks a free port (see `url` after listen()). */
  port?: number;
  /** Bearer tokens, one per line or `token,user` csv. */
  tokenFile?: string;
  /** Default 3 MiB. */
  maxBodyBytes?: number;
  /** Interval of WebSocket pings and HTTP-stream bookmarks. Default 10 s. */
  heartbeatMs?: number;
  /** Bytes of encoded objects kept for repeated lists and watch fan-out. Default 64 MiB; 0 disables. */
  encodingCacheBytes?: number;
  /** Bytes one watch connection may hold unsent before the client is cut off as too slow (default 8 MiB). */
  watchBufferBytes?: number;
  /** How long close() waits for in-flight requests before cutting connections. Default 10 s. */
  drainTimeoutMs?: number;
  /** The web console's built files, served at /ui (none: no console). */
  consoleDir?: string;
  /** The metrics pipeline's figures, served as metrics.k8s.io/v1beta1 (none: that group is not served). */
  metrics?: MetricsSource;
  /** NamespaceLifecycle admission (namespace-admission.ts): default on; off only for benches of one namespace-less path. */
  namespaceLifecycle?: boolean;
  /** The bearer secret the kubelets demand (docs/kubelet.md); sent on every proxied kubelet request. */
  kubeletCredential?: string;
  /** What `coxswain join` is told (join-info.ts); none: JOIN_PATH is not served. */
  /** The join info for the host that asks. */
  joinInfo?: (request: JoinRequest) => Promise<JoinInfo>;
  /** Start-up state besides the system namespaces (the allocators' ranges), written with them and retried the same way. */
  bootstrap?: () => Promise<void>;
}

export interface ApiServer {
  /** Starts listening; resolves with the URL. */
  listen(): Promise<string>;
  /** Resolves once the system namespaces exist after listen() (or their first try failed: etcd away; they are retried). */
  ready(): Promise<void>;
  /** Stops accepting, ends every watch, drains in-flight requests. Does not close the store. */
  close(): Promise<void>;
  /** `http://address:port` (the real port once listening). */
  readonly url: string;
}

const STATUS_VERSION_FALLBACK = 'v1';

/**
 * What /version says: the Kubernetes API level served (1.32's v1, apps/v1, autoscaling/v1), with
 * Coxswain's own version as build metadata. kubectl's dispatcher picks its client by major.minor and
 * warns beyond a skew of one, so the level is what it must read.
 */
const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+coxswain.0.1.0',
  gitCommit: '',
  gitTreeState: 'clean',
  buildDate: '1970-01-01T00:00:00Z',
  goVersion: '',
  compiler: 'node',
  platform: `${process.platform}/${process.arch}`,
};

/** Where resources live: the core group under /api/<version>, a named group under /apis/<group>/<version>. */
const RESOURCE_BASES = ['/api/:version', '/api/:version/namespaces/:namespace', '/apis/:group/:version', '/apis/:group/:version/namespaces/:namespace'];
/** The group version of a URL: `v1` of /api/v1/..., `apps/v1` of /apis/apps/v1/... */
const GROUP_VERSION_OF_URL = /^\/(?:api\/([^/?]+)|apis\/([^/?]+\/[^/?]+))/;
/** The resource a URL names, after its group version, namespace and watch/ prefix. */
const RESOURCE_OF_URL = /^\/(?:api\/[^/?]+|apis\/[^/?]+\/[^/?]+)\/(?:namespaces\/[^/]+\/)?(?:watch\/)?([^/?]+)/;

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const address = opts.address ?? '127.0.0.1';
  let port = opts.port ?? 8080;
  if (!isLoopbackAddress(address) && !opts.tokenFile) {
    throw new Error(
      `refusing to serve the API on non-loopback address ${address} without authentication: pass --token-file ` +
        '(anyone who can reach this port could otherwise run containers on every minion), or bind 127.0.0.1',
    );
  }
  const auth = opts.tokenFile ? TokenAuthenticator.fromFile(opts.tokenFile) : undefined;
  const codecs = new Map(opts.codecs.map((c) => [c.version, c]));
  // A Status for a URL outside every version (/openapi/v3, /apis/unknown) is v1's, as client-go expects.
  const defaultVersion = codecs.has(STATUS_VERSION_FALLBACK) ? STATUS_VERSION_FALLBACK : (opts.codecs[0]?.version ?? STATUS_VERSION_FALLBACK);
  const store = opts.store;
  const encodings = new EncodingCache(opts.encodingCacheBytes);
  const namespaces = opts.namespaceLifecycle === false ? undefined : new NamespaceAdmission(store, opts.bootstrap);
  const writes = new WritePriority();
  const rest: RestDeps = { store, maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, encodings, namespaces, writes };
  const openWatches = new Set<WatchStream>();
  const consoleAssets = opts.consoleDir ? new ConsoleAssets(opts.consoleDir) : undefined;
  const watchDeps: WatchDeps = { store, heartbeatMs: opts.heartbeatMs ?? 10_000, open: openWatches, encodings, bufferBytes: opts.watchBufferBytes, onCutOff: countCutOff };
  const uncountWatches = countWatches(openWatches);
  let shuttingDown = false;

  const scopeOf = (params: Params, query: URLSearchParams, req?: IncomingMessage): RequestScope => {
    const scope = resolveScope(codecs, params, query);
    const table = req && tableOptions(req, query);
    return table ? { ...scope, table } : scope;
  };

  // ---- routes ------------------------------------------------------------------------------------
  const router = new Router();
  router.on('GET', '/healthz', async (_req, res) => {
    // Healthy only once the system namespaces have been written (or etcd refused them): a cluster
    // that waits for this sees no write of the server's own after it.
    await bootstrapped;
    try {
      const revision = await withTimeout(store.currentRevision(), 3000, 'etcd did not answer within 3 s');
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`ok (etcd revision ${revision})\n`);
    } catch (e) {
      throw new HttpError(503, 'ServiceUnavailable', `etcd is unavailable: ${(e as Error).message}`);
    }
  });
  // Discovery (discovery.ts): what kubectl reads before anything else.
  const servedVersions = () => [...codecs.keys(), ENDPOINT_SLICES_GROUP_VERSION, ...(opts.metrics ? [METRICS_GROUP_VERSION] : [])];
  router.on('GET', '/api', async (req, res) =>
    sendJson(res, 200, {
      kind: 'APIVersions',
      versions: coreVersions([...codecs.keys()]),
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? `${address}:${port}` }],
    }),
  );
  router.on('GET', '/apis', async (_req, res) => sendJson(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups(servedVersions()) }));
  router.on('GET', '/apis/:group', async (_req, res, params) => {
    const group = apiGroups(servedVersions()).find((g) => g.name === params.group);
    if (!group) throw notFound(`the server could not find the requested resource: API group "${params.group}"`);
    sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...group });
  });
  for (const path of ['/api/:version', '/apis/:group/:version']) {
    router.on('GET', path, async (_req, res, params) => {
      const gv = routeGroupVersion(params);
      const list = codecs.has(gv) ? apiResourceList(gv) : undefined;
      if (!list) throw notFound(`the server could not find the requested resource: API version "${gv}"`);
      sendJson(res, 200, list);
    });
  }
  router.on('GET', '/version', async (_req, res) => sendJson(res, 200, SERVER_VERSION));
  router.on('GET', JOIN_PATH, async (_req, res, _params, query) => {
    if (!opts.joinInfo) throw new HttpError(404, 'NotFound', 'this API server has no join tokens (coxswain up --advertise-address makes them)');
    sendJson(res, 200, await opts.joinInfo(joinRequestOf(query)));
  });
  // Prometheus: the process's families (prom-client's defaults) and the API server's (api-metrics.ts).
  router.on('GET', '/metrics', async (_req, res) => {
    const text = await metricsExposition();
    res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  });

  // OpenAPI v3 (openapi.ts): what kubectl validates, explains and computes patches with.
  const openapi = new OpenApiV3([...codecs.keys()]);
  router.on('GET', '/openapi/v3', async (_req, res) => sendJson(res, 200, openapi.index()));
  for (const path of ['/openapi/v3/api/:version', '/openapi/v3/apis/:group/:version']) {
    router.on('GET', path, async (req, res, params) => {
      const doc = openapi.document(routeGroupVersion(params));
      if (!doc) throw notFound(`no OpenAPI document for ${routeGroupVersion(params)}`);
      if (req.headers['if-none-match'] === doc.etag) {
        res.writeHead(304, { ETag: doc.etag });
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', ETag: doc.etag, 'Content-Length': Buffer.byteLength(doc.text) });
      res.end(doc.text);
    });
  }

  // Static paths: find-my-way prefers them to the parametric /apis/:group/:version routes below.
  for (const r of opts.metrics ? metricsRoutes(opts.metrics, store) : []) router.on('GET', r.path, r.handler);
  for (const r of endpointSliceRoutes(store)) router.on('GET', r.path, r.handler);

  for (const base of RESOURCE_BASES) {
    router.on('GET', `${base}/:resource`, async (req, res, params, query) => {
      const scope = scopeOf(params, query, req);
      const watch = query.get('watch');
      if (watch === 'true' || watch === '1') {
        serveHttpWatch(watchDeps, res, scope, query);
        return;
      }
      await listObjects(rest, res, scope, query);
    });
    router.on('POST', `${base}/:resource`, async (req, res, params, query) => {
      if (params.resource === 'bindings') return bindings(req, res, params, query);
      await createObject(rest, req, res, scopeOf(params, query));
    });
    router.on('GET', `${base}/:resource/:name`, async (req, res, params, query) => getObject(rest, res, scopeOf(params, query, req), params.name!));
    router.on('PUT', `${base}/:resource/:name`, async (req, res, params, query) =>
      updateObject(rest, req, res, scopeOf(params, query), params.name!),
    );
    router.on('PATCH', `${base}/:resource/:name`, async (req, res, params, query) => patchObject(rest, req, res, scopeOf(params, query), params.name!));
    router.on('DELETE', `${base}/:resource/:name`, async (_req, res, params, query) =>
      deleteObject(rest, res, scopeOf(params, query), params.name!, query),
    );
    router.on(['GET', 'PUT', 'PATCH'], `${base}/:resource/:name/:subresource`, async (req, res, params, query) => {
      const scope = scopeOf(params, query);
      const sub = params.subresource;
      if (sub === 'status' && scope.info.hasStatus) {
        if (req.method === 'PATCH') return patchObject(rest, req, res, scope, params.name!, 'status');
        if (req.method !== 'PUT') throw methodNotAllowed(req.method!, 'PUT, PATCH');
        return updateObject(rest, req, res, scope, params.name!, 'status');
      }
      if (sub === 'scale') {
        if (req.method === 'GET') return getScale(rest, res, scope, params.name!);
        if (req.method === 'PUT') return putScale(rest, req, res, scope, params.name!);
        return patchScale(rest, req, res, scope, params.name!);
      }
      if (sub === 'log' && scope.info.resource === 'pods') {
        if (req.method !== 'GET') throw methodNotAllowed(req.method!, 'GET');
        return proxyPodLog(store, req, res, objectNamespace(scope)!, params.name!, query, opts.kubeletCredential);
      }
      throw notFound(`${scope.info.resource} have no subresource "${sub}"`);
    });
    router.on('GET', `${base}/watch/:resource`, async (req, res, params, query) => {
      serveHttpWatch(watchDeps, res, scopeOf(params, query, req), query);
    });
  }

  async function bindings(req: IncomingMessage, res: ServerResponse, params: Params, query: URLSearchParams): Promise<void> {
    const version = routeGroupVersion(params);
    if (!codecs.has(version) || params.group) throw notFound(`unknown API version "${version}" for bindings`);
    const binding = parseBinding(await readObjectBody(req, rest.maxBodyBytes));
    const namespace = params.namespace ?? (query.get('namespace') || binding.namespace || DEFAULT_NAMESPACE);
    await bindPod(store, namespace, binding);
    log.info({ namespace, pod: binding.pod, minion: binding.minion }, 'bound');
    sendJson(res, 201, successStatus(version, { name: binding.pod, kind: 'Binding' }));
  }

  // ---- request handling ----------------------------------------------------------------------------
  function versionOf(url: string | undefined): string {
    const m = GROUP_VERSION_OF_URL.exec(url ?? '');
    const version = m ? (m[1] ?? m[2]!) : '';
    return codecs.has(version) ? version : defaultVersion;
  }

  function statusFor(err: unknown, url: string | undefined): { status: Status; headers: Record<string, string> } {
    const version = versionOf(url);
    let ctx: Parameters<typeof toStatus>[1] = { version };
    // Name the resource so that store validation paths are mapped into the version's terms.
    const m = RESOURCE_OF_URL.exec(url ?? '');
    if (m) {
      try {
        const [group, groupLocalVersion] = version.includes('/') ? version.split('/') : ['', version];
        const scope = resolveScope(codecs, { group, version: groupLocalVersion, resource: m[1] }, new URLSearchParams());
        ctx = { version, codec: scope.codec, resource: scope.info.resource, kind: scope.info.kind };
      } catch {
        /* not a resource URL */
      }
    }
    return { status: toStatus(err, ctx), headers: err instanceof HttpError && err.headers ? err.headers : {} };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    writes.track(req, res);
    res.once('finish', () => {
      const m = RESOURCE_OF_URL.exec(req.url ?? '');
      if (!m) return; // discovery, /healthz, /metrics: not a resource request
      const hasName = /^\/[^/?]+/.test((req.url ?? '').split('?')[0]!.slice(m[0].length)); // a name after the resource
      recordRequest(verbOf(req.method ?? 'GET', req.url ?? '', hasName), m[1]!, res.statusCode, (Date.now() - started) / 1000);
    });
    try {
      if (shuttingDown) res.setHeader('Connection', 'close');
      const path = (req.url ?? '/').split('?')[0]!;
      // The console's files are public: the page must load before it can ask for a token.
      if (consoleAssets && req.method === 'GET' && isConsolePath(path)) return consoleAssets.serve(path, res);
      // Authenticate before routing, so that a stranger learns nothing about the routes.
      if (auth && path !== '/healthz') authorizeJoin(auth.authenticate(req), path);
      const match = router.match(req.method ?? 'GET', req.url ?? '/');
      await match.handler(req, res, match.params, match.query);
    } catch (err) {
      const { status, headers } = statusFor(err, req.url);
      if (status.code === 413) discardOversizedBody(req, rest.maxBodyBytes);
      sendStatus(res, status, headers);
      if (status.code >= 500) log.warn({ method: req.method, url: req.url, code: status.code, message: status.message }, 'request failed');
    } finally {
      log.debug({ method: req.method, url: req.url, code: res.statusCode, ms: Date.now() - started }, 'request');
    }
  }

  // ---- WebSocket watches ---------------------------------------------------------------------------
  // A browser cannot set headers on a WebSocket: its token comes as a subprotocol (see auth.ts), and
  // the server answers with the first protocol offered, never the one carrying the token.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, handleProtocols: (offered) => [...offered].find((p) => !isTokenProtocol(p)) ?? false });
  const wsRouter = new Router();
  const wsWatch = async () => undefined;
  for (const base of RESOURCE_BASES) {
    wsRouter.on('GET', `${base}/watch/:resource`, wsWatch);
    // A WebSocket upgrade of the list URL (`?watch=true`) is a watch too.
    wsRouter.on('GET', `${base}/:resource`, wsWatch);
  }

  function onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    try {
      if (shuttingDown) throw new HttpError(503, 'ServiceUnavailable', 'the server is shutting down');
      const [path, search] = (req.url ?? '/').split('?') as [string, string | undefined];
      if (auth) authorizeJoin(auth.authenticate(req), path);
      const stream = POD_STREAM_PATH.exec(path);
      if (stream) {
        const [namespace, pod, verb] = stream.slice(1).map(decodeURIComponent) as [string, string, PodStreamVerb];
        proxyPodStream(store, req, socket, head, { namespace, pod, verb }, new URLSearchParams(search ?? ''), opts.kubeletCredential).catch((err) => refuseUpgrade(req, socket, err));
        return;
      }
      const match = wsRouter.match('GET', req.url ?? '/');
      const scope = scopeOf(match.params, match.query);
      checkWatchQuery(scope, match.query);
      wss.handleUpgrade(req, socket, head, (ws) => serveWebSocketWatch(watchDeps, ws, socket, scope, match.query));
    } catch (err) {
      refuseUpgrade(req, socket, err);
    }
  }

  function refuseUpgrade(req: IncomingMessage, socket: Socket, err: unknown): void {
    const { status, headers } = statusFor(err, req.url);
    const body = JSON.stringify(status);
    const head = [
      `HTTP/1.1 ${status.code} ${http.STATUS_CODES[status.code] ?? 'Error'}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    if (socket.writable) socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  }

  // ---- lifecycle -----------------------------------------------------------------------------------
  const server = http.createServer((req, res) => void handle(req, res));
  server.on('upgrade', onUpgrade);
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  let bootstrapped: Promise<void> = Promise.resolve();
  const api: ApiServer = {
    ready: () => bootstrapped,
    get url() {
      return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
    },
    listen() {
      return new Promise<string>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, address, () => {
          server.off('error', reject);
          port = (server.address() as AddressInfo).port;
          log.info({ url: api.url, auth: auth ? `${auth.size} tokens` : 'none (loopback only)', versions: [...codecs.keys()] }, 'API server listening');
          bootstrapped = namespaces?.start() ?? Promise.resolve();
          resolve(api.url);
        });
      });
    },
    async close() {
      if (shuttingDown) return;
      shuttingDown = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const w of [...openWatches]) w.close();
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      server.closeIdleConnections();
      const drained = await withTimeout(closed, opts.drainTimeoutMs ?? 10_000, 'drain timed out').then(
        () => true,
        () => false,
      );
      if (!drained) {
        log.warn({ connections: sockets.size }, 'drain timed out; closing remaining connections');
        for (const s of sockets) s.destroy();
        await closed;
      }
      wss.close();
      await namespaces?.stop();
      uncountWatches();
      log.info('API server stopped');
    },
  };
  return api;
}

/**
 * After a 413 the body is not kept, but a bounded amount of it is read and dropped so that a client
 * still writing sees the answer instead of a reset; past the bound (or 5 s) the connection is cut.
 */
function discardOversizedBody(req: IncomingMessage, limit: number): void {
  let dropped = 0;
  const timer = setTimeout(() => req.destroy(), 5000);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > 4 * limit) req.destroy();
  });
  req.on('close', () => clearTimeout(timer));
  req.resume();
}

function methodNotAllowed(method: string, allowed: string): HttpError {
  return new HttpError(405, 'MethodNotAllowed', `method ${method} is not allowed here; allowed: ${allowed}`, undefined, { Allow: allowed });
}

