// How every Coxswain process dials etcd: a deadline on every unary call and no hidden retries or
// circuit breaker, so that an unreachable etcd surfaces quickly as UnavailableError and the
// caller's own backoff decides what to do (a retried txn could apply twice; an open breaker would
// keep failing for seconds after etcd came back).
// With several endpoints (an etcd cluster), a member whose connection fails is skipped for a
// moment: etcd3's pool picks a random member per call and, without this, every third call would
// fail for as long as one member of three is down. The failing call itself is not retried.
// With TLS (`--etcd-cafile/--etcd-certfile/--etcd-keyfile`), every connection presents this
// component's client certificate and checks etcd's against the CA; the files are read once, here.
// Storage uses only etcd3's plain RPCs and streams it owns (no high-level Watcher or Lease, whose
// close() would leave reconnect timers and keepalives behind), so close() of the client suffices.
import { Etcd3, GRPCUnavailableError, IOptions } from 'etcd3';
import { circuitBreaker, ConsecutiveBreaker, handleWhen, noop } from 'cockatiel';
import { readFileSync } from 'node:fs';
import type { EtcdTLS } from '@coxswain/process';

export interface EtcdClientOptions {
  /** Deadline for each unary call (get/put/txn/...). Default 5000 ms. */
  callTimeoutMs?: number;
  /** How long to wait for a connection. Default 3000 ms. */
  dialTimeoutMs?: number;
  /** With several endpoints: how long a member that refused a connection is skipped. Default 2000 ms. */
  skipUnavailableMemberMs?: number;
  /** TLS with a client certificate; the endpoints are then https. Default: plain. */
  tls?: EtcdTLS;
  /** How often a connection with calls in flight is pinged. Default 30000 ms. */
  keepaliveTimeMs?: number;
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
    credentials: opts.tls && {
      rootCertificate: readFileSync(opts.tls.caFile),
      certChain: readFileSync(opts.tls.certFile),
      privateKey: readFileSync(opts.tls.keyFile),
    },
    dialTimeout: opts.dialTimeoutMs ?? 3000,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    faultHandling: { global: noop, host: memberPolicy(endpoints, opts) },
    grpcOptions: {
      // Notice a dead connection without trusting TCP. 30 s, not 10: etcd allows one ping per 5 s and
      // drops the connection ("excess pings") when a busy event loop sends delayed pings bunched
      // together (seen in the scale bench). Watches notice a dead stream sooner by their own progress
      // requests (etcd-watch.ts), and unary calls have deadlines. An answer may take 10 s (Kubernetes'
      // etcd client allows as much): with 5 s, a CPU-starved etcd in the k8s-limits bench answered
      // late and every stream of the connection was lost ("Connection dropped") every 30 s.
      // No pings on a connection without calls: etcd does not permit them (its enforcement policy has
      // PermitWithoutStream false), counts each as a strike and drops the connection at the third
      // ("excess pings": an idle client lost its connection every ~90 s). A call has its deadline,
      // and Kubernetes' etcd client does not ping without streams either.
      'grpc.keepalive_time_ms': opts.keepaliveTimeMs ?? 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 0,
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      // Reconnect promptly after etcd comes back (grpc-js backs off up to 120 s by default).
      'grpc.max_reconnect_backoff_ms': 1_000,
      'grpc.initial_reconnect_backoff_ms': 100,
    },
  };
}

export function createEtcdClient(endpoints: string[], opts: EtcdClientOptions = {}): Etcd3 {
  return keepChannelsAfterFailedCalls(new Etcd3(etcdClientOptions(endpoints, opts)));
}

/** The part of etcd3's connection pool this file reaches into (etcd3 1.x, lib/connection-pool.js). */
interface PoolHost {
  resetAllServices(): void;
  close(): void;
}

/**
 * etcd3 closes every channel of a member when any call to it fails with DEADLINE_EXCEEDED, CANCELLED,
 * ABORTED, RESOURCE_EXHAUSTED, INTERNAL or UNKNOWN (its "recoverable" errors), so that the next call
 * dials anew. The streams already on the old channel are not moved: grpc-js drops each of them
 * ("Connection dropped") at the connection's next keepalive ping. On a busy etcd one call past its
 * deadline thus cut every watch of the process 30 s later, and the watches' catch-up made the next
 * deadline miss: the API server's watch-cache feed broke every 30 s under the k8s-limits bench. A
 * slow answer says nothing about the connection (grpc-js reconnects a dead one by itself, and
 * Kubernetes' etcd client keeps its connection through deadline misses), so the channels stay;
 * close() still closes them.
 */
function keepChannelsAfterFailedCalls(client: Etcd3): Etcd3 {
  const hosts = (client as unknown as { pool?: { hosts?: PoolHost[] } }).pool?.hosts;
  if (!hosts) throw new Error('etcd3 no longer has pool.hosts: see keepChannelsAfterFailedCalls in etcd-client.ts');
  for (const host of hosts) {
    const reset = host.resetAllServices.bind(host);
    const close = host.close.bind(host);
    host.resetAllServices = () => undefined;
    host.close = () => {
      host.resetAllServices = reset;
      close();
    };
  }
  return client;
}
