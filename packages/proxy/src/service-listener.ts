// One TCP listener for one service port on the minion's service address. Each accepted connection is
// forwarded to an endpoint chosen by the port's LoadBalancer; an endpoint that refuses or does not
// answer in time is skipped for the next one before the client sees a failure. Bytes are streamed with
// pipe() both ways, so the slower side throttles the faster one and no connection buffers more than the
// sockets' high-water marks.
import * as net from 'net';
import { endpointKey, type Endpoint } from './load-balancer';
import { BufferRelay } from './buffer-relay';
import { PortListener, type PortListenerOptions } from './port-listener';

export { DEFAULT_MAX_ATTEMPTS, type BindFailure } from './port-listener';

export interface ServiceListenerOptions extends PortListenerOptions {
  /** How long one endpoint gets to accept a connection before the next is tried. */
  connectTimeoutMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 1000;

export class ServiceListener extends PortListener {
  private readonly connectTimeoutMs: number;
  private readonly clients = new Set<net.Socket>();
  private server?: net.Server;

  constructor(opts: ServiceListenerOptions) {
    super(opts, 'TCP');
    this.connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  get activeConnections(): number {
    return this.clients.size;
  }

  /**
   * Stops accepting and stops bind retries. Established connections are left to finish unless
   * `dropConnections` (process shutdown).
   */
  close(dropConnections = false): void {
    if (!this.stopBinding()) return;
    this.server?.close();
    if (dropConnections) for (const c of this.clients) c.destroy();
    this.log.info({ dropConnections, active: this.clients.size }, 'service listener closed');
  }

  protected bindOnce(): Promise<void> {
    // A fresh server per attempt: a server whose listen() failed is not reused.
    // pauseOnConnect: the client's first bytes stay in the kernel until an endpoint has accepted.
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (c) => this.accept(c));
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        server.close();
        reject(err);
      };
      server.once('error', onError);
      server.listen({ host: this.address, port: this.portNumber, exclusive: true }, () => {
        server.removeListener('error', onError);
        if (this.closed) {
          server.close();
          return resolve();
        }
        server.on('error', (err) => this.log.error({ err: err.message }, 'service listener error'));
        this.server = server;
        this.portNumber = (server.address() as net.AddressInfo).port;
        this.markBound();
        this.log.info('service listener bound');
        resolve();
      });
    });
  }

  private accept(client: net.Socket): void {
    this.clients.add(client);
    this.stats.opened(client);
    client.setNoDelay(true);
    let failed = false;
    let pending: net.Socket | undefined;
    const fail = (reason: string, err?: Error) => {
      if (failed) return;
      failed = true;
      this.stats.errors++;
      this.log.debug({ reason, err: err?.message, client: client.remoteAddress }, 'connection failed');
    };
    client.on('error', (err) => fail('client error', err));
    client.once('close', () => {
      this.clients.delete(client);
      this.stats.closed(client);
      pending?.destroy();
    });

    const clientIp = stripV4Mapped(client.remoteAddress);
    const tried = new Set<string>();
    const tryNext = (lastError?: Error) => {
      if (client.destroyed) return;
      const endpoint = tried.size < this.maxAttempts ? this.balancer.next(clientIp, tried) : undefined;
      if (!endpoint) {
        fail(tried.size ? 'no endpoint accepted' : 'no endpoints', lastError);
        client.resetAndDestroy();
        return;
      }
      tried.add(endpointKey(endpoint));
      pending = this.connect(endpoint, (err, backend, relay) => {
        pending = undefined;
        if (err || !backend || !relay) {
          this.stats.connectFailures++;
          this.log.debug({ endpoint: endpointKey(endpoint), err: err?.message }, 'endpoint failed; trying the next');
          return tryNext(err);
        }
        this.splice(client, backend, relay, fail);
      });
    };
    tryNext();
  }

  /** Connects to one endpoint within the connect timeout; calls back once, with the socket or an error. */
  private connect(endpoint: Endpoint, done: (err: Error | undefined, socket?: net.Socket, relay?: BufferRelay) => void): net.Socket {
    const relay = new BufferRelay();
    // `onread` is read by the Socket constructor (what net.connect does with its options), though
    // @types/node lists it only among the connect options.
    const socket = new net.Socket({ allowHalfOpen: true, onread: relay.onread } as net.SocketConstructorOpts);
    // Read nothing from the endpoint until the client is attached (relay.start resumes).
    socket.pause();
    socket.connect({ host: endpoint.ip, port: endpoint.port });
    const timer = setTimeout(() => socket.destroy(new Error(`connect timeout after ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      done(err);
    };
    socket.once('error', onError);
    // Destroyed by the caller (the client left while connecting): no timeout to fire.
    socket.once('close', () => clearTimeout(timer));
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      done(undefined, socket, relay);
    });
    return socket;
  }

  private splice(client: net.Socket, backend: net.Socket, relay: BufferRelay, fail: (reason: string, err?: Error) => void): void {
    if (client.destroyed) {
      backend.destroy();
      return;
    }
    backend.setNoDelay(true);
    // An error on one side resets the other, so the peer learns the connection broke rather than
    // seeing a clean end of stream.
    backend.on('error', (err) => {
      fail('endpoint error', err);
      if (!client.destroyed) client.resetAndDestroy();
    });
    client.on('error', () => {
      if (!backend.destroyed) backend.resetAndDestroy();
    });
    // A side that closes without having ended its stream (destroyed, reset) takes the other with it.
    // A side that ended cleanly does not: the other may still be flushing the last bytes (half-close).
    let clientEnded = false;
    let backendEnded = false;
    client.once('end', () => (clientEnded = true));
    backend.once('end', () => (backendEnded = true));
    client.once('close', () => {
      if (!clientEnded && !backend.destroyed) backend.destroy();
    });
    backend.once('close', () => {
      if (!backendEnded && !client.destroyed) client.destroy();
    });
    // Endpoint to client: the relay reads into a reusable buffer and stops while the client lags; its
    // end travels on as a half-close. Client to endpoint: pipe() does the same with stream buffers.
    backend.once('end', () => client.end());
    relay.start(backend, client);
    client.pipe(backend);
  }
}

function stripV4Mapped(ip: string | undefined): string | undefined {
  return ip?.startsWith('::ffff:') ? ip.slice(7) : ip;
}
