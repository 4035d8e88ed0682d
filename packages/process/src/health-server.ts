// Every Coxswain process answers `GET /healthz` (200 when its checks pass, 503 with the reason when
// not) and `GET /metrics` in Prometheus text format: the process's registry (process-metrics.ts) and
// any families the caller counts itself.
import http from 'http';
import type { AddressInfo } from 'net';
import { withTimeout } from '@coxswain/objects';
import { createLogger, Logger } from './logger';
import { METRICS_CONTENT_TYPE, metricsExposition } from './process-metrics';

export interface HealthStatus {
  ok: boolean;
  /** Anything JSON-serialisable that explains the status (e.g. per-check results). */
  detail?: unknown;
}

export interface HealthServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port (see `port` on the result). */
  port: number;
  /** The process's health. A check that throws or takes longer than checkTimeoutMs counts as unhealthy. */
  checks?: () => Promise<HealthStatus> | HealthStatus;
  /** More Prometheus text for /metrics, after the process registry's families. */
  metrics?: () => Promise<string> | string;
  /** Default 5000 ms. */
  checkTimeoutMs?: number;
  logger?: Logger;
}

export interface HealthServer {
  host: string;
  port: number;
  /** `http://host:port`. */
  url: string;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, code: number, contentType: string, body: string): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export async function serveHealth(opts: HealthServerOptions): Promise<HealthServer> {
  const host = opts.host ?? '127.0.0.1';
  const timeoutMs = opts.checkTimeoutMs ?? 5000;
  const log = opts.logger ?? createLogger('health');

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain', 'method not allowed\n');
    }
    if (path === '/healthz') {
      const check = opts.checks ?? (() => ({ ok: true }));
      withTimeout(Promise.resolve().then(check), timeoutMs, `health check timed out after ${timeoutMs} ms`)
        .then(
          (s) => ({ ok: !!s.ok, detail: s.detail }),
          (err: unknown) => ({ ok: false, detail: `check failed: ${(err as Error)?.message ?? String(err)}` }),
        )
        .then((s) => {
          if (!s.ok) log.warn({ detail: s.detail }, 'unhealthy');
          send(res, s.ok ? 200 : 503, 'application/json', JSON.stringify({ status: s.ok ? 'ok' : 'unhealthy', detail: s.detail }) + '\n');
        })
        .catch((err) => {
          // Only a detail that cannot be serialised gets here.
          send(res, 503, 'application/json', JSON.stringify({ status: 'unhealthy', detail: String(err) }) + '\n');
        });
      return;
    }
    if (path === '/metrics') {
      const extra = opts.metrics ?? (() => '');
      Promise.resolve()
        .then(extra)
        .then(metricsExposition)
        .then(
          (text) => send(res, 200, METRICS_CONTENT_TYPE, text.endsWith('\n') ? text : text + '\n'),
          (err) => send(res, 500, 'text/plain', `metrics failed: ${(err as Error)?.message ?? String(err)}\n`),
        );
      return;
    }
    send(res, 404, 'text/plain', 'not found\n');
  });
  // A slow or stuck health prober must not keep the process from shutting down.
  server.keepAliveTimeout = 5000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  log.debug({ host, port }, 'health server listening');
  return {
    host,
    port,
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
