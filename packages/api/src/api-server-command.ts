// `coxswain apiserver`: a registry on etcd and the API server on it. The binary parses the flags
// and registers close() with the process's one shutdown path (onShutdown in @coxswain/process), so
// this module installs no signal handlers of its own.
import { readFileSync } from 'node:fs';
import { CONSOLE_ASSETS_DIR } from '@coxswain/console';
import { EtcdCredentials, parseEtcdServers, type EtcdTLS } from '@coxswain/process';
import { DEFAULT_CLUSTER_CIDR, DEFAULT_PORTAL_NET, openRegistry } from '@coxswain/registry';
import type { ObjectStore } from '@coxswain/objects';
import type { Codec } from './codecs/codec';
import { CODECS } from './codecs';
import { createApiServer, ApiServer } from './server';
import { EtcdCompactor } from './etcd-compactor';
import type { JoinInfo, JoinRequest } from './join-info';
import { DEFAULT_ETCD_QUOTA_BYTES, DEFAULT_QUOTA_CHECK_INTERVAL_MS, EtcdQuotaMonitor } from './etcd-quota';
import { DEFAULT_METRICS_RESOLUTION_MS, MetricsScraper, readKubeletCredential } from '@coxswain/client';

export interface ApiServerFlags {
  /** etcd client URLs: a list, or `--etcd-servers`' comma-separated text. */
  etcdServers: string | readonly string[];
  /** TLS to etcd (`--etcd-cafile/--etcd-certfile/--etcd-keyfile`); default plain. */
  etcdTLS?: EtcdTLS;
  address?: string;
  port?: number;
  tokenFile?: string;
  maxBodyBytes?: number;
  heartbeatMs?: number;
  codecs?: readonly Codec[];
  /** --portal-net: where services' portal IPs come from (default DEFAULT_PORTAL_NET). */
  portalNet?: string;
  /** --cluster-cidr: where minions' pod subnets come from (default DEFAULT_CLUSTER_CIDR). */
  clusterCidr?: string;
  /** --node-cidr-mask-size: each minion's pod subnet (default 24). */
  nodeCidrMaskSize?: number;
  /** --metric-resolution: how often the kubelets' figures are scraped (default 15 s; 0 turns metrics.k8s.io off). */
  metricsResolutionMs?: number;
  /** --kubelet-credential-file: the bearer secret the kubelets demand (docs/kubelet.md). */
  kubeletCredentialFile?: string;
  /** --encryption-provider-config: how Secrets are encrypted at rest in etcd (docs/store.md). */
  encryptionProviderConfig?: string;
  /** --watch-cache-window: changes the watch cache keeps for watches resuming from the past (default 20,000). */
  watchCacheWindow?: number;
  /** --watch-buffer-bytes: unsent bytes one watch connection may hold before it is cut off (default 8 MiB). */
  watchBufferBytes?: number;
  /** --etcd-compaction-interval: how often the leader among API servers compacts etcd (default 5 min; 0 never). */
  etcdCompactionIntervalMs?: number;
  /** --etcd-compaction-window: revisions kept by each compaction (default 50,000). */
  etcdCompactionWindow?: number;
  /**
   * --join-etcd-pki-dir: the certificates directory of the etcd `coxswain up` started (its CA key
   * included): each joining host is issued its own etcd client certificate from it.
   */
  joinEtcdPkiDir?: string;
  /** --etcd-quota-bytes: etcd's --quota-backend-bytes, which the database size is reported against (default 2 GiB, etcd's). */
  etcdQuotaBytes?: number;
  /** How often the database size is read (default 1 min; 0 never). */
  etcdQuotaCheckIntervalMs?: number;
}

export const DEFAULT_COMPACTION_INTERVAL_MS = 5 * 60_000;
export const DEFAULT_COMPACTION_WINDOW = 50_000;

export interface ApiServerHandle {
  url: string;
  server: ApiServer;
  store: ObjectStore;
  /** The etcd compactor (undefined when the interval is 0). */
  compactor?: EtcdCompactor;
  /** The metrics pipeline behind metrics.k8s.io (absent with --metric-resolution 0): the cost bench turns it off and on. */
  metrics?: MetricsScraper;
  /** etcd's database size against its quota (undefined when the check interval is 0). */
  quota?: EtcdQuotaMonitor;
  /** Stops the server (watches closed, requests drained) and the store. Idempotent. */
  close(): Promise<void>;
}

export async function runApiServer(flags: ApiServerFlags): Promise<ApiServerHandle> {
  const endpoints = parseEtcdServers(flags.etcdServers);
  atLeastOne('watch-cache-window', flags.watchCacheWindow);
  atLeastOne('watch-buffer-bytes', flags.watchBufferBytes);
  atLeastOne('etcd-compaction-window', flags.etcdCompactionWindow);
  atLeastOne('etcd-quota-bytes', flags.etcdQuotaBytes);
  // Validate the server's own options (non-loopback without tokens, token file) before touching etcd.
  const store = openRegistry(endpoints, {
    portalNet: flags.portalNet ?? DEFAULT_PORTAL_NET,
    clusterCidr: flags.clusterCidr ?? DEFAULT_CLUSTER_CIDR,
    nodeCidrMaskSize: flags.nodeCidrMaskSize,
    encryptionProviderConfig: flags.encryptionProviderConfig,
    tls: flags.etcdTLS,
    watchCache: { windowSize: flags.watchCacheWindow },
  });
  const resolution = flags.metricsResolutionMs ?? DEFAULT_METRICS_RESOLUTION_MS;
  let kubeletCredential: string | undefined;
  let compactor: EtcdCompactor | undefined;
  let quota: EtcdQuotaMonitor | undefined;
  try {
    kubeletCredential = flags.kubeletCredentialFile === undefined ? undefined : readKubeletCredential(flags.kubeletCredentialFile);
    const compactionMs = flags.etcdCompactionIntervalMs ?? DEFAULT_COMPACTION_INTERVAL_MS;
    const windowRevisions = flags.etcdCompactionWindow ?? DEFAULT_COMPACTION_WINDOW;
    compactor = compactionMs > 0 ? new EtcdCompactor({ storage: store.storage, intervalMs: compactionMs, windowRevisions }) : undefined;
    const quotaCheckMs = flags.etcdQuotaCheckIntervalMs ?? DEFAULT_QUOTA_CHECK_INTERVAL_MS;
    quota = quotaCheckMs > 0 ? new EtcdQuotaMonitor({ storage: store.storage, quotaBytes: flags.etcdQuotaBytes ?? DEFAULT_ETCD_QUOTA_BYTES, intervalMs: quotaCheckMs }) : undefined;
  } catch (e) {
    await store.close();
    throw e;
  }
  const metrics = resolution > 0 ? new MetricsScraper({ store, intervalMs: resolution, kubeletCredential }) : undefined;
  let server: ApiServer;
  try {
    server = createApiServer({
      store,
      codecs: flags.codecs ?? CODECS,
      address: flags.address ?? '127.0.0.1',
      port: flags.port ?? 8080,
      tokenFile: flags.tokenFile,
      maxBodyBytes: flags.maxBodyBytes,
      heartbeatMs: flags.heartbeatMs,
      consoleDir: CONSOLE_ASSETS_DIR,
      metrics,
      kubeletCredential,
      bootstrap: () => store.ensureRanges(),
      // Told to `coxswain join` (a bootstrap token's only use): what a joining host's kubelet and proxy need.
      joinInfo: async (request) => ({
        etcdServers: endpoints,
        clusterCidr: flags.clusterCidr ?? DEFAULT_CLUSTER_CIDR,
        portalNet: flags.portalNet ?? DEFAULT_PORTAL_NET,
        kubeletCredential,
        encryptionConfig: flags.encryptionProviderConfig === undefined ? undefined : readFileSync(flags.encryptionProviderConfig, 'utf8'),
        ...(flags.joinEtcdPkiDir === undefined ? {} : joiningHostEtcdTLS(new EtcdCredentials(flags.joinEtcdPkiDir), request)),
      }),
      watchBufferBytes: flags.watchBufferBytes,
    });
    await server.listen();
    metrics?.start();
    compactor?.start();
    quota?.start();
  } catch (e) {
    await store.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await metrics?.stop();
      await compactor?.stop();
      await quota?.stop();
      await server.close();
      await store.close();
    })());
  return { url: server.url, server, store, compactor, metrics, quota, close };
}

/**
 * A joining host's etcd certificates as PEM texts (issued on first ask, the same ones after): its
 * minion's client certificate and, when it will run a member, that member's.
 */
function joiningHostEtcdTLS(pki: EtcdCredentials, request: JoinRequest): Pick<JoinInfo, 'etcdTLS' | 'etcdMemberTLS'> {
  const client = pki.client({ minion: request.minion });
  const member = request.etcdMember === undefined ? undefined : pki.member(request.minion, [request.etcdMember]);
  const text = (file: string) => readFileSync(file, 'utf8');
  return {
    etcdTLS: { ca: text(client.caFile), cert: text(client.certFile), key: text(client.keyFile) },
    etcdMemberTLS: member && { cert: text(member.certFile), key: text(member.keyFile) },
  };
}

function atLeastOne(flag: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1)) throw new RangeError(`--${flag}: a whole number of at least 1, not ${value}`);
}
