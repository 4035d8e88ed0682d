// The kubelet's HTTP endpoint on the minion's address: `/healthz`, `/metrics` (Prometheus), `/stats/summary` (the pods' and
// the minion's resource use, stats-collector.ts), and a container's logs at
// `/containerLogs/{namespace}/{pod}/{container}?follow&tailLines&sinceSeconds|sinceTime&timestamps&previous&limitBytes`
// (what the API server proxies for `GET /api/v1beta1/pods/{id}/log`). Containers are found by
// their labels, so logs survive a kubelet restart; `previous` serves the last dead instance.
import * as http from 'http';
import type { AddressInfo } from 'net';
import { createLogger, Logger } from '@coxswain/process';
import { attemptsOf } from './container-lookup';
import { presentsCredential } from './kubelet-auth';
import { ContainerRuntime } from './runtime';
import { serveStreams } from './stream-server';
import type { SummaryView } from './stats-collector';
import { metricsExposition, METRICS_CONTENT_TYPE } from '@coxswain/process';
import { parsePodLogOptions, PodLogOptionError, type PodLogOptions } from '@coxswain/client';

export interface LogServerOptions {
  minion: string;
  runtime: ContainerRuntime;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Health of the kubelet for /healthz. */
  healthy?: () => { ok: boolean; detail?: unknown };
  /** The resource use served at /stats/summary, as JSON text (404 without); `?only_usage=true` asks for the usage view. */
  summary?: (view: SummaryView) => Promise<string>;
  /**
   * The bearer secret only the API server (and the metrics scraper) holds. When set, everything
   * but /healthz answers 401 without `Authorization: Bearer <credential>`: the logs (and later
   * exec/attach/port-forward) are reachable only through the API server, which authorizes the user.
   */
  credential?: string;
  logger?: Logger;
}

export interface LogServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startLogServer(opts: LogServerOptions): Promise<LogServer> {
  const log = opts.logger ?? createLogger('kubelet-logs', { minion: opts.minion });
  const sockets = new Set<import('net').Socket>();
  const server = http.createServer((req, res) => {
    handle(opts, req, res).catch((e) => {
      log.warn({ err: e instanceof Error ? e.message : String(e), url: req.url }, 'log request failed');
      if (!res.headersSent) send(res, 500, `error: ${e instanceof Error ? e.message : String(e)}\n`);
      else res.destroy();
    });
  });
  serveStreams(server, { minion: opts.minion, runtime: opts.runtime, credential: opts.credential, logger: log });
  // The metrics pipeline asks every 15 s and Prometheus every 30-60 s: keep their connections between
  // scrapes (Node's default closes them after 5 s idle, so each scrape would open a new one).
  server.keepAliveTimeout = 65_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Followed logs never end by themselves.
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function send(res: http.ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}

async function handle(opts: LogServerOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://kubelet');
  if (req.method !== 'GET') return send(res, 405, 'method not allowed\n');
  if (url.pathname === '/healthz') {
    const h = opts.healthy?.() ?? { ok: true };
    res.writeHead(h.ok ? 200 : 503, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ ok: h.ok, minion: opts.minion, ...(h.detail !== undefined ? { detail: h.detail } : {}) }) + '\n');
    return;
  }
  if (url.pathname === '/metrics') {
    const text = await metricsExposition();
    res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE });
    res.end(text);
    return;
  }
  if (opts.credential !== undefined && !presentsCredential(req, opts.credential)) {
    res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer realm="kubelet"' });
    res.end('unauthorized: the kubelet answers only the API server\n');
    return;
  }
  if (url.pathname === '/stats/summary' && opts.summary) {
    const body = await opts.summary(url.searchParams.get('only_usage') === 'true' ? 'usage' : 'full');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(body);
    return;
  }
  const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
  if (!m) return send(res, 404, 'not found\n');
  const [namespace, pod, container] = m.slice(1).map(decodeURIComponent);
  let options: PodLogOptions;
  try {
    options = parsePodLogOptions(url.searchParams, Date.now());
  } catch (e) {
    if (e instanceof PodLogOptionError) return send(res, 400, `${e.message}\n`);
    throw e;
  }
  const { follow, previous } = options;

  const ordered = await attemptsOf(opts.runtime, opts.minion, namespace, pod, container);
  const target = previous ? ordered[1] : ordered[0];
  if (!target) return send(res, 404, `no ${previous ? 'previous ' : ''}container "${container}" of pod ${namespace}/${pod} on minion ${opts.minion}\n`);

  const abort = new AbortController();
  const stream = await opts.runtime.logs(target.id, { follow, tail: options.tailLines, since: options.sinceTime, timestamps: options.timestamps, signal: abort.signal });
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  res.on('close', () => abort.abort());
  if (options.limitBytes === undefined) return void stream.pipe(res);
  // limitBytes: the first N bytes, then the response ends (and a followed log stops being read).
  let left = options.limitBytes;
  stream.on('data', (chunk: Buffer | string) => {
    if (left <= 0) return;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    res.write(buf.subarray(0, left));
    left -= buf.length;
    if (left <= 0) {
      res.end();
      abort.abort();
    }
  });
  stream.on('end', () => res.end());
}

