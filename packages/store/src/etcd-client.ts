// How every Coxswain process dials etcd: a deadline on every unary call and no hidden retries or
// circuit breaker, so that an unreachable etcd surfaces quickly as UnavailableError and the
// caller's own backoff decides what to do (a retried txn could apply twice; an open breaker would
// keep failing for seconds after etcd came back).
import { Etcd3, IOptions } from 'etcd3';
import { noop } from 'cockatiel';

export interface EtcdClientOptions {
  /** Deadline for each unary call (get/put/txn/...). Default 5000 ms. */
  callTimeoutMs?: number;
  /** How long to wait for a connection. Default 3000 ms. */
  dialTimeoutMs?: number;
}

export function etcdClientOptions(endpoints: string[], opts: EtcdClientOptions = {}): IOptions {
  const callTimeoutMs = opts.callTimeoutMs ?? 5000;
  return {
    hosts: endpoints,
    dialTimeout: opts.dialTimeoutMs ?? 3000,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    faultHandling: { global: noop, host: () => noop },
    grpcOptions: {
      // Notice a dead connection (and so a dead watch stream) without trusting TCP.
      // etcd's default keepalive enforcement allows pings every 5 s.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      // Reconnect promptly after etcd comes back (grpc-js backs off up to 120 s by default).
      'grpc.max_reconnect_backoff_ms': 1_000,
      'grpc.initial_reconnect_backoff_ms': 100,
    },
  };
}

export function createEtcdClient(endpoints: string[], opts: EtcdClientOptions = {}): Etcd3 {
  return new Etcd3(etcdClientOptions(endpoints, opts));
}
