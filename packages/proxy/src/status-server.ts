// The proxy's own HTTP port: `/healthz` (200 once the proxy has synced its view of the cluster, 503
// before) and `/metrics` (Prometheus text).
import * as http from 'http';
import type { AddressInfo } from 'net';
import { metricsText } from './metrics-text';
import type { ServiceProxy } from './proxy';

export interface StatusServerOptions {
  proxy: ServiceProxy;
  address: string;
  port: number;
  /** Whether the proxy is ready (its informers have synced). */
  healthy?: () => boolean;
}

export class StatusServer {
  private readonly server: http.Server;

  constructor(private readonly opts: StatusServerOptions) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.address, () => {
        this.server.removeListener('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const ok = this.opts.healthy ? this.opts.healthy() : true;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not synced\n');
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metricsText(this.opts.proxy.status()));
    } else if (path === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.opts.proxy.status(), null, 2) + '\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }
}
