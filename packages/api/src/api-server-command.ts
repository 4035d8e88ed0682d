// `coxswain apiserver`: a registry on etcd and the API server on it. The binary parses the flags
// and registers close() with the process's one shutdown path (onShutdown in @coxswain/process), so
// this module installs no signal handlers of its own.
import { CONSOLE_ASSETS_DIR } from '@coxswain/console';
import { parseEtcdServers, type EtcdTLS } from '@coxswain/process';
import { DEFAULT_PORTAL_NET, openRegistry } from '@coxswain/registry';
import type { ObjectStore } from '@coxswain/objects';
import type { Codec } from './codecs/codec';
import { CODECS } from './codecs';
import { createApiServer, ApiServer } from './server';
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
  /** --metric-resolution: how often the kubelets' figures are scraped (default 15 s; 0 turns metrics.k8s.io off). */
  metricsResolutionMs?: number;
  /** --kubelet-credential-file: the bearer secret the kubelets demand (docs/kubelet.md). */
  kubeletCredentialFile?: string;
}

export interface ApiServerHandle {
  url: string;
  server: ApiServer;
  store: ObjectStore;
  /** Stops the server (watches closed, requests drained) and the store. Idempotent. */
  close(): Promise<void>;
}

export async function runApiServer(flags: ApiServerFlags): Promise<ApiServerHandle> {
  const endpoints = parseEtcdServers(flags.etcdServers);
  // Validate the server's own options (non-loopback without tokens, token file) before touching etcd.
  const store = openRegistry(endpoints, { portalNet: flags.portalNet ?? DEFAULT_PORTAL_NET, tls: flags.etcdTLS });
  const resolution = flags.metricsResolutionMs ?? DEFAULT_METRICS_RESOLUTION_MS;
  let kubeletCredential: string | undefined;
  try {
    kubeletCredential = flags.kubeletCredentialFile === undefined ? undefined : readKubeletCredential(flags.kubeletCredentialFile);
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
    });
    await server.listen();
    metrics?.start();
  } catch (e) {
    await store.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await metrics?.stop();
      await server.close();
      await store.close();
    })());
  return { url: server.url, server, store, close };
}
