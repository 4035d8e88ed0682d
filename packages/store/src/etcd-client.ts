// How every Coxswain process dials etcd: a deadline on every unary call and no hidden retries or
// circuit breaker, so that an unreachable etcd surfaces quickly as UnavailableError and the
// caller's own backoff decides what to do (a retried txn could apply twice; an open breaker would
// keep failing for seconds after etcd came back).
// With several endpoints (an etcd cluster), a member whose connection fails is skipped for a
// moment: etcd3's pool picks a random member per call and, without this, every third call would
// fail for as long as one member of three is down. The failing call itself is not retried.
import { ClientClosedError, Etcd3, GRPCUnavailableError, ILeaseOptions, IOptions, Lease, Watcher } from 'etcd3';
import { circuitBreaker, ConsecutiveBreaker, handleWhen, noop } from 'cockatiel';

export interface EtcdClientOptions {
  /** Deadline for each unary call (get/put/txn/...). Default 5000 ms. */
  callTimeoutMs?: number;
  /** How long to wait for a connection. Default 3000 ms. */
  dialTimeoutMs?: number;
  /** With several endpoints: how long a member that refused a connection is skipped. Default 2000 ms. */
  skipUnavailableMemberMs?: number;
}

/**
 * Per-member policy: a member we could not connect to is skipped (the pool tries the next one).
 * Only connection failures count; a live member's own UNAVAILABLE ("etcdserver: leader changed")
 * is the cluster's state, not the member's, and skipping it would not help.
 */
function memberPolicy(endpoints: string[], opts: EtcdClientOptions) {
  if (endpoints.length < 2) return () => noop;
  const unreachable = handleWhen((e) => e instanceof GRPCUnavailableError && !/etcdserver:/.test(e.message));
  return () => circuitBreaker(unreachable, { halfOpenAfter: opts.skipUnavailableMemberMs ?? 2000, breaker: new ConsecutiveBreaker(1) });
}

export function etcdClientOptions(endpoints: string[], opts: EtcdClientOptions = {}): IOptions {
  const callTimeoutMs = opts.callTimeoutMs ?? 5000;
  return {
    hosts: endpoints,
    dialTimeout: opts.dialTimeoutMs ?? 3000,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    faultHandling: { global: noop, host: memberPolicy(endpoints, opts) },
    grpcOptions: {
      // Notice a dead connection without trusting TCP. 30 s, not 10: etcd allows one ping per 5 s and
      // drops the connection ("excess pings") when a busy event loop sends delayed pings bunched
      // together (seen in the scale bench). Watches notice a dead stream sooner by their own progress
      // requests (etcd-watch.ts), and unary calls have deadlines.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      // Reconnect promptly after etcd comes back (grpc-js backs off up to 120 s by default).
      'grpc.max_reconnect_backoff_ms': 1_000,
      'grpc.initial_reconnect_backoff_ms': 100,
    },
  };
}

/** What close() resets in etcd3's (internal, unexported) WatchManager, as of etcd3 1.1. */
interface WatchManagerInternals {
  state: number; // 0 idle, 1 connecting, 2 connected
  watchers: Watcher[];
  expectedClosers: Set<Watcher>;
  stream?: NodeJS.EventEmitter & { cancel(): void };
  queue?: { destroy(): void };
}
const WATCH_CONNECTED = 2;
const WATCH_IDLE = 0;

/**
 * Etcd3 whose close() also releases its watchers and leases. etcd3's own close() only closes the
 * gRPC clients:
 *  - a watcher not yet cancelled keeps its stream (and the TCP connection) open, and once that
 *    stream ends the library re-opens it for ever, every <= 30 s, on the closed client — a process
 *    that forgot one watcher, or closed while one was still being created, never exits. close()
 *    drops the watchers, cancels the stream, rejects pending create()s and ends pending cancel()s;
 *  - a lease with automatic keepalive keeps sending keepalives on its open stream, so the lease (and
 *    the keys on it, a leader's for one) outlives the client. close() stops them; the lease then
 *    expires by its TTL, as if the process had died.
 */
class ReleasingEtcd3 extends Etcd3 {
  private readonly keptAlive = new Set<Lease>();

  override lease(ttl: number, options?: ILeaseOptions): Lease {
    const lease = super.lease(ttl, options);
    if (options?.autoKeepAlive !== false) {
      for (const l of this.keptAlive) if (l.revoked()) this.keptAlive.delete(l); // revoked, released or lost
      this.keptAlive.add(lease);
    }
    return lease;
  }

  override close(): void {
    for (const l of this.keptAlive) l.release();
    this.keptAlive.clear();
    const manager = (this as unknown as { watchManager?: WatchManagerInternals }).watchManager;
    const orphans = manager && Array.isArray(manager.watchers) ? releaseWatchers(manager) : [];
    super.close();
    const err = new ClientClosedError('Watch');
    for (const w of orphans) {
      try {
        if (w.listenerCount('error') > 0) w.emit('error', err); // a pending create() rejects
        w.emit('end'); // a pending cancel() resolves
      } catch {
        // a listener's failure is not close()'s
      }
    }
  }
}

function releaseWatchers(manager: WatchManagerInternals): Watcher[] {
  const orphans = manager.watchers;
  // With no watchers the manager does not reconnect (and a pending connect is dropped when it lands).
  manager.watchers = [];
  manager.expectedClosers.clear();
  const stream = manager.stream;
  if (manager.state === WATCH_CONNECTED && stream) {
    // Our cancel must not count as a stream failure: that would schedule one more reconnect timer.
    manager.queue?.destroy();
    for (const event of ['data', 'error', 'end']) stream.removeAllListeners(event);
    stream.on('error', () => undefined);
    stream.cancel();
    manager.stream = undefined;
    manager.state = WATCH_IDLE;
  }
  return orphans;
}

export function createEtcdClient(endpoints: string[], opts: EtcdClientOptions = {}): Etcd3 {
  return new ReleasingEtcd3(etcdClientOptions(endpoints, opts));
}
