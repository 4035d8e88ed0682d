// One UDP listener for one service port, as kube-proxy's userspace mode did it. UDP has no connections,
// so the listener keeps a "session" per client address (ip:port): its own socket, connected to an
// endpoint chosen by the port's LoadBalancer when the session began. Datagrams from the client go out
// on the session's socket; what the endpoint sends back (only the endpoint can, the socket being
// connected) leaves through the service socket, so the client sees replies from the address it wrote to.
//
// Sessions end when idle (no datagram either way) for `sessionTimeoutMs`, and there are at most
// `maxSessions` of them: each holds a file descriptor, and a client that changes its source port per
// request (DNS resolvers do) opens a session per request.
//
// A connected UDP socket learns of an ICMP port-unreachable from the endpoint as an ECONNREFUSED
// error; the session then moves to the next endpoint and resends its last datagram there once
// (the refused one was never delivered). An endpoint that vanished from the Endpoints is left on the
// next datagram from the client.
import * as dgram from 'dgram';
import { isIPv6 } from 'net';
import { endpointKey, type Endpoint } from './load-balancer';
import { PortListener, type PortListenerOptions } from './port-listener';

export interface UdpServiceListenerOptions extends PortListenerOptions {
  /** A session with no datagram either way for this long is ended. */
  sessionTimeoutMs?: number;
  /** The most sessions at once; a new client beyond it evicts the least recently active session. */
  maxSessions?: number;
}

// 30 s, not kube-proxy's 250 ms: a session must outlive the endpoint's slowest reply, or the reply
// is lost (250 ms broke slow DNS upstreams and any request/response protocol slower than that). 30 s
// is also Linux conntrack's timeout for UDP flows without a reply, i.e. what clients see through
// kernel NAT. The cost of the long timeout — sessions piling up — is bounded by maxSessions.
export const DEFAULT_UDP_SESSION_TIMEOUT_MS = 30_000;
export const DEFAULT_UDP_MAX_SESSIONS = 4096;
/** Datagrams a session holds while its socket connects; more are dropped. */
const MAX_PENDING = 64;
/** Datagrams waiting in a socket's send queue beyond which new ones are dropped (UDP has no back-pressure). */
const MAX_SEND_QUEUE = 1024;

interface Session {
  key: string;
  clientIp: string;
  clientPort: number;
  socket?: dgram.Socket;
  endpoint?: Endpoint;
  connected: boolean;
  /** Datagrams waiting for the socket to connect. */
  pending: Buffer[];
  /** The last datagram sent, resent once to the next endpoint after a refusal. */
  last?: Buffer;
  /** Endpoints that refused since the last reply. */
  tried: Set<string>;
  lastActive: number;
}

export class UdpServiceListener extends PortListener {
  private readonly sessionTimeoutMs: number;
  private readonly maxSessions: number;
  /** By client `ip:port`, least recently active first (every datagram re-inserts its session). */
  private readonly sessions = new Map<string, Session>();
  private socket?: dgram.Socket;
  private sweeper?: NodeJS.Timeout;

  constructor(opts: UdpServiceListenerOptions) {
    super(opts, 'UDP');
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? DEFAULT_UDP_SESSION_TIMEOUT_MS;
    this.maxSessions = Math.max(1, opts.maxSessions ?? DEFAULT_UDP_MAX_SESSIONS);
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  /**
   * Stops bind retries and closes the service socket. Sessions end with it: their replies could no
   * longer reach the client anyway. (The argument matches ServiceListener.close.)
   */
  close(_dropConnections = false): void {
    if (!this.stopBinding()) return;
    const active = this.sessions.size;
    for (const s of [...this.sessions.values()]) this.endSession(s, 'listener closed');
    closeQuietly(this.socket);
    this.log.info({ active }, 'udp service listener closed');
  }

  protected bindOnce(): Promise<void> {
    // A fresh socket per attempt: one whose bind failed is not reused.
    const socket = dgram.createSocket({ type: isIPv6(this.address) ? 'udp6' : 'udp4' });
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        closeQuietly(socket);
        reject(err);
      };
      socket.once('error', onError);
      socket.bind({ address: this.address, port: this.portNumber, exclusive: true }, () => {
        socket.removeListener('error', onError);
        if (this.closed) {
          closeQuietly(socket);
          return resolve();
        }
        socket.on('error', (err) => this.log.warn({ err: err.message }, 'udp service socket error'));
        socket.on('message', (msg, rinfo) => this.fromClient(msg, rinfo));
        this.socket = socket;
        this.portNumber = socket.address().port;
        this.markBound();
        this.log.info('udp service listener bound');
        resolve();
      });
    });
  }

  private fromClient(msg: Buffer, from: dgram.RemoteInfo): void {
    this.stats.datagramIn(msg.length);
    const key = `${from.address}:${from.port}`;
    let s = this.sessions.get(key);
    if (s) {
      this.touch(s);
      // The endpoint left the Endpoints (pod deleted, or not ready): move on before sending.
      if (s.endpoint && !this.balancer.has(endpointKey(s.endpoint)) && !this.connect(s, 'endpoint removed')) s = undefined;
    } else {
      s = this.openSession(key, from);
    }
    if (!s) {
      this.stats.datagramsDropped++;
      return;
    }
    s.last = msg;
    this.send(s, msg);
  }

  private openSession(key: string, from: dgram.RemoteInfo): Session | undefined {
    if (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.values().next().value as Session;
      this.endSession(oldest, 'evicted: too many sessions');
    }
    const s: Session = { key, clientIp: from.address, clientPort: from.port, connected: false, pending: [], tried: new Set(), lastActive: this.clock.now() };
    if (!this.connect(s, 'new session')) return undefined;
    this.sessions.set(key, s);
    this.stats.sessionOpened();
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(this.sessionTimeoutMs / 4, 10), 5000));
      this.sweeper.unref();
    }
    return s;
  }

  /**
   * Points the session at the next endpoint on a fresh socket. False when none is left to try: the
   * session has then ended.
   */
  private connect(s: Session, reason: string): boolean {
    closeQuietly(s.socket);
    s.socket = undefined;
    s.connected = false;
    const endpoint = s.tried.size < this.maxAttempts ? this.balancer.next(s.clientIp, s.tried) : undefined;
    if (!endpoint) {
      this.stats.errors++;
      this.log.debug({ client: s.key, reason, tried: [...s.tried] }, 'no endpoint for udp session');
      this.endSession(s, 'no endpoint');
      return false;
    }
    const key = endpointKey(endpoint);
    s.tried.add(key);
    s.endpoint = endpoint;
    const socket = dgram.createSocket({ type: isIPv6(endpoint.ip) ? 'udp6' : 'udp4' });
    s.socket = socket;
    socket.on('message', (msg) => this.fromEndpoint(s, socket, msg));
    socket.on('error', (err) => this.endpointError(s, socket, err));
    socket.connect(endpoint.port, endpoint.ip, (err?: Error) => {
      if (err) return this.endpointError(s, socket, err);
      if (s.socket !== socket) return;
      s.connected = true;
      const pending = s.pending;
      s.pending = [];
      for (const msg of pending) this.send(s, msg);
    });
    this.log.debug({ client: s.key, endpoint: key, reason }, 'udp session connected to endpoint');
    return true;
  }

  private send(s: Session, msg: Buffer): void {
    if (!s.socket) return;
    if (!s.connected) {
      if (s.pending.length < MAX_PENDING) s.pending.push(msg);
      else this.stats.datagramsDropped++;
      return;
    }
    if (s.socket.getSendQueueCount() >= MAX_SEND_QUEUE) {
      this.stats.datagramsDropped++;
      return;
    }
    s.socket.send(msg);
  }

  private fromEndpoint(s: Session, socket: dgram.Socket, msg: Buffer): void {
    if (s.socket !== socket || !this.socket) return;
    this.touch(s);
    // A reply proves the endpoint works: refusals before it no longer count against the session.
    s.tried.clear();
    if (this.socket.getSendQueueCount() >= MAX_SEND_QUEUE) {
      this.stats.datagramsDropped++;
      return;
    }
    this.socket.send(msg, s.clientPort, s.clientIp);
    this.stats.datagramOut(msg.length);
  }

  private endpointError(s: Session, socket: dgram.Socket, err: NodeJS.ErrnoException): void {
    if (s.socket !== socket) return;
    if (err.code === 'ECONNREFUSED') {
      // ICMP port unreachable: nothing listens there. The datagram that drew it was not delivered.
      this.stats.connectFailures++;
      this.log.debug({ client: s.key, endpoint: s.endpoint && endpointKey(s.endpoint) }, 'endpoint refused; trying the next');
      if (this.connect(s, 'endpoint refused') && s.last) this.send(s, s.last);
      return;
    }
    this.stats.errors++;
    this.log.debug({ client: s.key, err: err.message }, 'udp session error');
    this.endSession(s, 'socket error');
  }

  private touch(s: Session): void {
    s.lastActive = this.clock.now();
    this.sessions.delete(s.key);
    this.sessions.set(s.key, s);
  }

  private endSession(s: Session, reason: string): void {
    closeQuietly(s.socket);
    s.socket = undefined;
    s.pending = [];
    if (this.sessions.get(s.key) === s) {
      this.sessions.delete(s.key);
      this.stats.sessionClosed();
      this.log.debug({ client: s.key, reason }, 'udp session ended');
    }
    if (this.sessions.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Ends idle sessions: the map is ordered by activity, so the scan stops at the first live one. */
  private sweep(): void {
    const now = this.clock.now();
    for (const s of this.sessions.values()) {
      if (now - s.lastActive < this.sessionTimeoutMs) break;
      this.endSession(s, 'idle');
    }
  }
}

function closeQuietly(socket: dgram.Socket | undefined): void {
  try {
    socket?.close();
  } catch {
    // Already closed.
  }
}
