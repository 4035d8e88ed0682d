// `coxswain kubelet`: wires a kubelet process from parsed flags — the store and a lease client on
// etcd, the runtime (Docker or in memory), the event recorder, the kubelet, and its HTTP endpoint.
import { openRegistry } from '@coxswain/registry';
import { createLogger, parseEtcdServers, type EtcdTLS } from '@coxswain/process';
import { EventRecorder, readKubeletCredential } from '@coxswain/client';
import { DockerRuntime } from './docker-runtime';
import { dockerConnection, type DockerTlsFiles } from './docker-endpoint';
import { Kubelet } from './kubelet';
import { LogServer, startLogServer } from './log-server';
import { MemoryRuntime } from './memory-runtime';
import { claimPodCidr } from './pod-cidr-claim';
import { StatsCollector } from './stats-collector';
import type { ContainerRuntime } from './runtime';

export interface RunKubeletOptions {
  minion: string;
  /** e.g. 127.0.1.3 */
  address: string;
  /** etcd client URLs: a list, or `--etcd-servers`' comma-separated text. */
  etcdServers: string | readonly string[];
  /** TLS to etcd (`--etcd-cafile/--etcd-certfile/--etcd-keyfile`); default plain. */
  etcdTLS?: EtcdTLS;
  /**
   * The pod subnet asked for; default: the one the Minion already holds, else the next free one
   * of the API server's --cluster-cidr (with no API server ever started: 172.30.N.0/24 for 127.0.1.N).
   */
  podCIDR?: string;
  runtime?: 'docker' | 'memory';
  /** The Docker engine (--docker-endpoint: unix socket or tcp://host:port); default the local socket. */
  dockerEndpoint?: string;
  /** Client TLS files for a tcp engine (--docker-tls-ca/-cert/-key). */
  dockerTls?: DockerTlsFiles;
  podInfraImage?: string;
  /** Default 10250. */
  port?: number;
  labels?: Record<string, string>;
  capacity?: { cpu?: string; memory?: string; pods?: string };
  resyncMs?: number;
  heartbeatMs?: number;
  /** Between two readings of the containers' resource use (default 5 s). */
  housekeepingMs?: number;
  /** Most processes one container may have (0: no limit; default 4096). */
  podPidsLimit?: number;
  /** Pod directories: <rootDir>/pods/<uid>. */
  rootDir?: string;
  /** Host directories hostPath volumes may use (default none). */
  allowedHostPaths?: readonly string[];
  /** The bearer secret the server demands on all but /healthz (docs/kubelet.md); none: open, as before. */
  credentialFile?: string;
  /** The API server's --encryption-provider-config: the kubelet reads its pods' Secrets from etcd. */
  encryptionProviderConfig?: string;
}

export interface RunningKubelet {
  kubelet: Kubelet;
  logServer: LogServer;
  runtime: ContainerRuntime;
  /** Stops the loops and the server; pod containers keep running (a restart adopts them). */
  stop(): Promise<void>;
}

/**
 * How often a kubelet's etcd watches ask for progress (a stream silent for three intervals is
 * failed and resumed): 30 s, not the store's default 5 s. A minion's watches are idle most of the
 * time, and with etcd 3.4 each progress request costs etcd a read transaction (a copy of its write
 * buffer): at 5,000 minions the 5 s heartbeat was 8–14 % of etcd's CPU during density. A dead
 * connection is still found by gRPC's keepalive; what waits longer is a stream etcd stopped
 * serving on a live connection — 90 s at most, where Kubernetes' kubelet trusts a watch for minutes.
 */
export const KUBELET_WATCH_PROGRESS_MS = 30_000;

export function defaultPodCIDR(address: string): string | undefined {
  const m = /^127\.0\.1\.(\d{1,3})$/.exec(address);
  return m ? `172.30.${m[1]}.0/24` : undefined;
}

export async function runKubelet(opts: RunKubeletOptions): Promise<RunningKubelet> {
  const log = createLogger('kubelet', { minion: opts.minion });
  const endpoints = parseEtcdServers(opts.etcdServers);
  // A bad endpoint or TLS file is a start-up error, before anything is opened.
  const connection = opts.dockerEndpoint === undefined ? undefined : dockerConnection(opts.dockerEndpoint, opts.dockerTls);
  const store = openRegistry(endpoints, { encryptionProviderConfig: opts.encryptionProviderConfig, tls: opts.etcdTLS, watchProgressIntervalMs: KUBELET_WATCH_PROGRESS_MS });
  let podCIDR: string;
  try {
    podCIDR = await claimPodCidr({ store, storage: store.storage, minion: opts.minion, address: opts.address, requested: opts.podCIDR, fallback: defaultPodCIDR(opts.address), logger: log });
  } catch (e) {
    await store.close();
    throw e;
  }
  const runtime: ContainerRuntime = opts.runtime === 'memory' ? new MemoryRuntime() : new DockerRuntime({ logger: log, connection });
  const recorder = new EventRecorder({ store, component: 'kubelet', host: opts.minion, logger: log });
  const port = opts.port ?? 10250;
  const kubelet = new Kubelet({
    minion: opts.minion,
    address: opts.address,
    port,
    podCIDR,
    podPidsLimit: opts.podPidsLimit,
    store,
    leaseStorage: store.storage,
    runtime,
    recorder,
    podInfraImage: opts.podInfraImage,
    labels: opts.labels,
    capacity: opts.capacity,
    resyncMs: opts.resyncMs,
    heartbeatMs: opts.heartbeatMs,
    rootDir: opts.rootDir,
    allowedHostPaths: opts.allowedHostPaths,
    logger: log,
  });
  const heartbeatMs = opts.heartbeatMs ?? 10_000;
  const stats = new StatsCollector({ runtime, minion: opts.minion, intervalMs: opts.housekeepingMs, log });
  const logServer = await startLogServer({
    minion: opts.minion,
    runtime,
    host: opts.address,
    port,
    logger: log,
    summary: (view) => stats.body(view),
    credential: opts.credentialFile === undefined ? undefined : readKubeletCredential(opts.credentialFile),
    healthy: () => {
      const last = kubelet.heartbeat.lastBeatAt;
      const ok = last !== undefined && Date.now() - last < 3 * heartbeatMs;
      return { ok, detail: { lastHeartbeat: last ? new Date(last).toISOString() : null, pods: kubelet.podKeys().length, ...kubelet.stats } };
    },
  });
  try {
    await kubelet.start();
  } catch (e) {
    await logServer.close();
    await store.close();
    throw e;
  }
  stats.start();
  log.info({ address: opts.address, port, podCIDR, runtime: runtime.kind }, 'kubelet serving');
  let stopped: Promise<void> | undefined;
  return {
    kubelet,
    logServer,
    runtime,
    stop: () =>
      (stopped ??= (async () => {
        await kubelet.stop();
        await stats.stop();
        await logServer.close();
        await recorder.flush();
        await runtime.close();
        await store.close();
      })()),
  };
}
