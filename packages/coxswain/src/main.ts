#!/usr/bin/env node
// `coxswain`: one binary whose subcommands start each component as its own process.
// Thin by design: each subcommand parses its flags (the shared ones with @coxswain/process's and
// @coxswain/objects' parsers), calls the package's run function, and registers the component's stop
// with the process's one shutdown path (SIGTERM/SIGINT, with a grace timer). Health is served by the
// component on the port its flags name.
import * as path from 'node:path';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import yargs, { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DEFAULT_CLUSTER_CIDR, DEFAULT_PORTAL_NET, runApiServer } from '@coxswain/api';
import { runDeploymentController, runEndpointsController, runMinionController, runReplicationManager, runScheduler } from '@coxswain/reconcilers';
import type { ReconcilerHandle } from '@coxswain/reconcilers';
import { runKubelet } from '@coxswain/kubelet';
import { runProxy } from '@coxswain/proxy';
import { parseDuration } from '@coxswain/objects';
import { createLogger, createShutdownCoordinator, onShutdown, parseEtcdServers, parseEtcdTLS, shutdown, type EtcdTLS, type EtcdTLSFlags } from '@coxswain/process';
import { defaultDataDir, LocalCluster, stopRunningCluster } from './local-cluster';
import { ComponentStartError } from './process-group';
import { defaultJoinDataDir, JoinedHost, leave, type JoinOptions } from './join';
import { StartupView, summaryText } from './startup-view';
import { createUpLogger } from './up-logger';
import { PreflightError } from './preflight';

const log = createLogger('coxswain');

/** `--etcd-cafile --etcd-certfile --etcd-keyfile` (kube-apiserver's names): TLS with a client certificate. */
const etcdTLSOptions = <T>(y: Argv<T>) =>
  y
    .option('etcd-cafile', { type: 'string', describe: "the CA that signed etcd's server certificate (TLS: with --etcd-certfile and --etcd-keyfile)" })
    .option('etcd-certfile', { type: 'string', describe: "this component's client certificate for etcd" })
    .option('etcd-keyfile', { type: 'string', describe: "the key of --etcd-certfile" });

const etcdOption = (y: Argv) =>
  etcdTLSOptions(y.option('etcd-servers', { type: 'string', demandOption: true, describe: 'etcd client URLs, comma-separated (https with the --etcd-* TLS files)', coerce: parseEtcdServers }));

/** What every component is given to reach etcd: the URLs and, when the three files are named, TLS. */
function etcdConnection(a: { etcdServers: string[] } & EtcdTLSFlags): { etcdServers: string[]; etcdTLS?: EtcdTLS } {
  return { etcdServers: a.etcdServers, etcdTLS: parseEtcdTLS(a, a.etcdServers) };
}

/** Every process that reads Secrets from etcd needs the API server's file (docs/store.md). */
const encryptionOption = <T>(y: Argv<T>) =>
  y.option('encryption-provider-config', { type: 'string', describe: "an EncryptionConfiguration (kube-apiserver's format): how Secrets are encrypted at rest" });

/** A duration flag, read into milliseconds: `1m30s`, `40s`, `500ms`, `2h`, or plain seconds. */
const durationOption = (flag: string, defaultValue: string, describe?: string) =>
  ({ type: 'string', default: defaultValue, describe, coerce: (value: string) => parseDuration(value, `--${flag}`) }) as const;

const reconcilerOptions = (y: Argv) =>
  etcdOption(y)
    .option('leader-elect', { type: 'boolean', default: true, describe: 'campaign for leadership before working' })
    .option('healthz-port', { type: 'number', describe: 'serve /healthz on this port' });

/**
 * Runs a reconciler until the process shuts down. Losing leadership does not end it (it campaigns
 * again in-process); failing to start shuts the process down with exit code 1.
 */
async function runReconciler(start: Promise<ReconcilerHandle>): Promise<void> {
  const handle = await start;
  onShutdown(() => handle.stop());
  void handle.done.then((end) => {
    if (end.reason === 'stopped') return;
    log.error({ err: end.error?.message, reason: end.reason }, 'reconciler ended');
    void shutdown(`reconciler ${end.reason}`, 1);
  });
}

function labelsFrom(list: string[] | undefined): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  return Object.fromEntries(
    list.map((kv) => {
      const i = kv.indexOf('=');
      if (i <= 0) throw new Error(`--labels: "${kv}" is not key=value`);
      return [kv.slice(0, i), kv.slice(i + 1)];
    }),
  );
}

/** One secret file shared by the API server, the metrics scrapers and the kubelets (docs/kubelet.md). */
const KUBELET_CREDENTIAL_OPTION = { type: 'string', describe: "the bearer secret a kubelet demands and the control plane sends; none: the kubelet's port is open" } as const;

export function buildCli(argv: string[]) {
  return yargs(argv)
    .scriptName('coxswain')
    .usage('$0 <component> [flags]  — each component runs as its own process')
    // The etcd TLS files are checked at parse time, so a bad combination is refused before anything starts.
    .check((a) => {
      if (a.etcdServers) parseEtcdTLS(a as EtcdTLSFlags, a.etcdServers as string[]);
      return true;
    }, true)
    .command(
      'apiserver',
      'the API server (REST + WebSocket watch)',
      (y) =>
        encryptionOption(etcdOption(y))
          .option('address', { type: 'string', default: '127.0.0.1' })
          .option('port', { type: 'number', default: 8080 })
          .option('token-file', { type: 'string', describe: 'bearer tokens, one per line; required on a non-loopback address' })
          .option('portal-net', { type: 'string', default: DEFAULT_PORTAL_NET, describe: 'the block services take their portal IP from' })
          .option('cluster-cidr', { type: 'string', default: DEFAULT_CLUSTER_CIDR, describe: "the block minions' pod subnets come from" })
          .option('node-cidr-mask-size', { type: 'number', default: 24, describe: "the prefix length of each minion's pod subnet" })
          .option('metric-resolution', durationOption('metric-resolution', '15s', "how often the kubelets' /stats/summary is scraped for metrics.k8s.io (0 turns it off)"))
          .option('kubelet-credential-file', KUBELET_CREDENTIAL_OPTION)
          .option('watch-cache-window', { type: 'number', default: 20_000, describe: 'changes the watch cache keeps for watches that resume from the past' })
          .option('watch-buffer-bytes', { type: 'number', default: 8 * 1024 * 1024, describe: 'unsent bytes one watch connection may hold before the client is cut off as too slow' })
          .option('etcd-compaction-interval', durationOption('etcd-compaction-interval', '5m', 'how often the leading API server compacts etcd (0 never)'))
          .option('etcd-compaction-window', { type: 'number', default: 50_000, describe: 'revisions each compaction keeps' })
          .option('join-etcd-pki-dir', { type: 'string', describe: "the etcd CA's directory (coxswain up's <data-dir>/pki): joining hosts are issued their etcd client certificates from it" })
          .option('etcd-quota-bytes', { type: 'number', default: 2 * 1024 ** 3, describe: "etcd's --quota-backend-bytes: its database size is reported against it, with a warning past 80%" }),
      async (a) => {
        const api = await runApiServer({
          ...etcdConnection(a),
          address: a.address,
          port: a.port,
          tokenFile: a.tokenFile,
          portalNet: a.portalNet,
          clusterCidr: a.clusterCidr,
          nodeCidrMaskSize: a.nodeCidrMaskSize,
          metricsResolutionMs: a.metricResolution,
          kubeletCredentialFile: a.kubeletCredentialFile,
          encryptionProviderConfig: a.encryptionProviderConfig,
          watchCacheWindow: a.watchCacheWindow,
          watchBufferBytes: a.watchBufferBytes,
          etcdCompactionIntervalMs: a.etcdCompactionInterval,
          etcdCompactionWindow: a.etcdCompactionWindow,
          joinEtcdPkiDir: a.joinEtcdPkiDir,
          etcdQuotaBytes: a.etcdQuotaBytes,
        });
        onShutdown(() => api.close());
      },
    )
    .command(
      'scheduler',
      'binds pods to minions',
      (y) => reconcilerOptions(y).option('packing', { choices: ['spread', 'binpack'] as const, default: 'spread' as const }),
      (a) => runReconciler(runScheduler({ ...etcdConnection(a), leaderElect: a.leaderElect, healthzPort: a.healthzPort, packing: a.packing })),
    )
    .command(
      'replication',
      'the replication manager, and the horizontal pod autoscaler beside it',
      (y) =>
        encryptionOption(reconcilerOptions(y))
          .option('hpa-sync-period', durationOption('hpa-sync-period', '15s', 'how often each HorizontalPodAutoscaler is looked at'))
          .option('hpa-downscale-stabilization', durationOption('hpa-downscale-stabilization', '5m', 'a scale-down waits until higher recommendations are this old'))
          .option('metric-resolution', durationOption('metric-resolution', '15s', "how often the autoscaler scrapes the kubelets' /stats/summary"))
          .option('kubelet-credential-file', KUBELET_CREDENTIAL_OPTION),
      (a) =>
        runReconciler(
          runReplicationManager({
            ...etcdConnection(a),
            leaderElect: a.leaderElect,
            healthzPort: a.healthzPort,
            hpaSyncMs: a.hpaSyncPeriod,
            hpaDownscaleStabilizationMs: a.hpaDownscaleStabilization,
            metricResolutionMs: a.metricResolution,
            kubeletCredentialFile: a.kubeletCredentialFile,
            encryptionProviderConfig: a.encryptionProviderConfig,
          }),
        ),
    )
    .command('endpoints', 'the endpoints controller', reconcilerOptions, (a) =>
      runReconciler(runEndpointsController({ ...etcdConnection(a), leaderElect: a.leaderElect, healthzPort: a.healthzPort })),
    )
    .command('deployments', 'the deployment controller (rollouts of Deployments through replication controllers)', reconcilerOptions, (a) =>
      runReconciler(runDeploymentController({ ...etcdConnection(a), leaderElect: a.leaderElect, healthzPort: a.healthzPort })),
    )
    .command(
      'minion-controller',
      'the minion lifecycle controller (NotReady after the grace period, eviction after the timeout)',
      (y) =>
        reconcilerOptions(y)
          .option('grace-period', durationOption('grace-period', '40s', 'a minion silent this long is NotReady'))
          .option('eviction-timeout', durationOption('eviction-timeout', '5m', "then, after this long, its pods are evicted")),
      (a) =>
        runReconciler(
          runMinionController({
            ...etcdConnection(a),
            leaderElect: a.leaderElect,
            healthzPort: a.healthzPort,
            gracePeriodMs: a.gracePeriod,
            evictionTimeoutMs: a.evictionTimeout,
          }),
        ),
    )
    .command(
      'kubelet',
      'the minion agent: runs its bound pods',
      (y) =>
        encryptionOption(etcdOption(y))
          .option('minion', { type: 'string', demandOption: true })
          .option('address', { type: 'string', demandOption: true, describe: 'e.g. 127.0.1.1' })
          .option('pod-cidr', { type: 'string', describe: "the pod subnet to claim (default: the one the minion holds, else the next free one of the API server's --cluster-cidr)" })
          .option('runtime', { choices: ['docker', 'memory'] as const, default: 'docker' as const })
          .option('docker-endpoint', { type: 'string', describe: 'the Docker engine: unix:///path/docker.sock or tcp://host:port (default the local socket)' })
          .option('docker-tls-ca', { type: 'string', describe: "a tcp engine's CA file" })
          .option('docker-tls-cert', { type: 'string', describe: 'the client certificate for a tcp engine' })
          .option('docker-tls-key', { type: 'string', describe: "the client certificate's key" })
          .option('pod-infra-image', { type: 'string', default: 'coxswain/pause' })
          .option('port', { type: 'number', default: 10250 })
          .option('cpu', { type: 'string', describe: 'capacity, e.g. 2 or 1500m (default: the host)' })
          .option('memory', { type: 'string', describe: 'capacity, e.g. 4Gi (default: the host)' })
          .option('labels', { type: 'array', string: true, describe: 'key=value ...' })
          .option('root-dir', { type: 'string', describe: 'where pod directories (volumes) live: <root-dir>/pods/<uid> (default <tmpdir>/coxswain-kubelet/<minion>)' })
          .option('allowed-host-paths', { type: 'string', describe: 'comma-separated host directories hostPath volumes may use (default none)' })
          .option('housekeeping-interval', durationOption('housekeeping-interval', '5s', "between two readings of the pods' CPU and memory (/stats/summary)"))
          .option('pod-pids-limit', { type: 'number', default: 4096, describe: 'most processes one container may have (0: no limit)' })
          .option('kubelet-credential-file', KUBELET_CREDENTIAL_OPTION),
      async (a) => {
        if (!Number.isInteger(a.podPidsLimit) || a.podPidsLimit < 0) throw new Error(`--pod-pids-limit must be a whole number >= 0, not ${a.podPidsLimit}`);
        const kubelet = await runKubelet({
          minion: a.minion,
          address: a.address,
          ...etcdConnection(a),
          podCIDR: a.podCidr,
          runtime: a.runtime,
          dockerEndpoint: a.dockerEndpoint,
          dockerTls: { ca: a.dockerTlsCa, cert: a.dockerTlsCert, key: a.dockerTlsKey },
          podInfraImage: a.podInfraImage,
          port: a.port,
          labels: labelsFrom(a.labels),
          capacity: a.cpu || a.memory ? { cpu: a.cpu, memory: a.memory } : undefined,
          housekeepingMs: a.housekeepingInterval,
          podPidsLimit: a.podPidsLimit,
          rootDir: a.rootDir,
          allowedHostPaths: a.allowedHostPaths ? a.allowedHostPaths.split(',').map((p) => p.trim()).filter(Boolean) : undefined,
          credentialFile: a.kubeletCredentialFile,
          encryptionProviderConfig: a.encryptionProviderConfig,
        });
        onShutdown(() => kubelet.stop());
      },
    )
    .command(
      'proxy',
      'the service proxy of one minion',
      (y) =>
        etcdOption(y)
          .option('minion', { type: 'string', demandOption: true })
          .option('bind-address', { type: 'string', describe: "default: the minion's service address" })
          .option('healthz-address', { type: 'string', describe: "default: the minion's address" })
          .option('healthz-port', { type: 'number', describe: 'serve /healthz and /metrics on this port' })
          .option('udp-session-timeout', durationOption('udp-session-timeout', '30s', 'a UDP client session idle this long ends'))
          .option('udp-max-sessions', { type: 'number', default: 4096, describe: 'the most UDP client sessions per service port' })
          .option('portal-net', { type: 'string', default: DEFAULT_PORTAL_NET, describe: "the API server's --portal-net; '' serves services on their own port of the bind address instead" })
          .option('iptables', { type: 'string', default: '/usr/sbin/iptables', describe: 'the iptables binary portal rules are written with' })
          .option('pod-routes', { type: 'boolean', default: false, describe: "keep this host's routes to every other minion's pods (host-gw) and the pod network's NAT rules; one proxy per host" })
          .option('cluster-cidr', { type: 'string', describe: "the pod network's block, for --pod-routes (default: the API server's, read from etcd)" }),
      async (a) => {
        if (!Number.isInteger(a.udpMaxSessions) || a.udpMaxSessions < 1) throw new Error(`--udp-max-sessions: must be a positive integer, got ${a.udpMaxSessions}`);
        const proxy = await runProxy({
          minion: a.minion,
          ...etcdConnection(a),
          bindAddress: a.bindAddress,
          healthzAddress: a.healthzAddress,
          healthzPort: a.healthzPort,
          proxy: { udpSessionTimeoutMs: a.udpSessionTimeout, udpMaxSessions: a.udpMaxSessions },
          portalNet: a.portalNet || undefined,
          iptables: a.iptables,
          podRoutes: a.podRoutes,
          clusterCidr: a.clusterCidr,
        });
        onShutdown(() => proxy.stop());
      },
    )
    .command(
      'up',
      'a whole cluster on this machine: etcd, the control plane and N minions',
      (y) =>
        y
          .option('minions', { type: 'number', default: 3, describe: 'minion N is 127.0.1.N with pods on 172.30.N.0/24' })
          .option('port', { type: 'number', default: 8080, describe: 'API server port' })
          .option('data-dir', { type: 'string', default: defaultDataDir(), describe: 'etcd data and logs (default $COXSWAIN_DATA_DIR or ~/.coxswain/cluster)' })
          .option('etcd-servers', { type: 'string', describe: 'use this etcd cluster instead of starting one (with its --etcd-* TLS files)', coerce: parseEtcdServers })
          .option('etcd-cafile', { type: 'string', describe: "with --etcd-servers: the CA of that cluster's server certificates" })
          .option('etcd-certfile', { type: 'string', describe: 'with --etcd-servers: the client certificate every component presents' })
          .option('etcd-keyfile', { type: 'string', describe: 'the key of --etcd-certfile' })
          .option('etcd-tls', { type: 'boolean', default: true, describe: 'the etcd it starts serves TLS to client certificates only (--no-etcd-tls: plain http)' })
          .option('etcd-port', { type: 'number', default: 2379, describe: 'client port of the etcd it starts; peers on the next one' })
          .option('healthz-port', { type: 'number', default: 10251, describe: 'the reconcilers serve /healthz on this port and the next four' })
          .option('runtime', { choices: ['docker', 'memory'] as const, default: 'docker' as const })
          .option('images', { type: 'boolean', default: true, describe: "build the guestbook's local images under the slides' names (--no-images skips)" })
          .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'also print every JSON log line here' })
          .option('minion-grace-period', { type: 'string' })
          .option('pod-eviction-timeout', { type: 'string' })
          .option('hpa-downscale-stabilization', { type: 'string', describe: 'how long an autoscaler waits before scaling down (default 5m)' })
          .option('hpa-sync-period', { type: 'string', describe: 'how often each autoscaler is looked at (default 15s)' })
          .option('advertise-address', { type: 'string', describe: "the first host of many: etcd and the API server (with tokens) listen on this address, one minion runs at it, and a join command is printed" })
          .option('minion-name', { type: 'string', describe: "with --advertise-address: this host's minion (default: the host name)" })
          .option('docker-endpoint', { type: 'string', describe: "the kubelets' Docker engine (default the local socket)" })
          .option('registry-port', { type: 'number', default: 5000, describe: 'with --advertise-address: the cluster registry (docker-registry) on this port of it; 0: none' }),
      (a) => runUp(a),
    )
    .command(
      'join',
      "this host becomes a minion of the cluster at --server: a kubelet and a proxy (with routes to every other minion's pods), supervised",
      (y) =>
        y
          .option('server', { type: 'string', demandOption: true, describe: "the API server's URL, as `coxswain up --advertise-address` printed it" })
          .option('token', { type: 'string', demandOption: true, describe: 'the join token `coxswain up` printed' })
          .option('address', { type: 'string', demandOption: true, describe: "this host's address on the link the other hosts share" })
          .option('minion', { type: 'string', default: hostname(), describe: "this host's minion name (default: the host name)" })
          .option('data-dir', { type: 'string', default: defaultJoinDataDir(), describe: 'logs, pod directories and what `leave` needs' })
          .option('runtime', { choices: ['docker', 'memory'] as const, default: 'docker' as const })
          .option('docker-endpoint', { type: 'string', describe: 'the Docker engine (default the local socket)' })
          .option('pod-cidr', { type: 'string', describe: 'claim this pod subnet instead of the next free one' })
          .option('etcd-member', { type: 'boolean', default: false, describe: "also run a member of the cluster's etcd here (3 hosts with one each survive losing one)" })
          .option('etcd-port', { type: 'number', default: 2379, describe: "with --etcd-member: its client port (peers on the next)" })
          .option('verbose', { alias: 'v', type: 'boolean', default: false }),
      (a) => runJoin(a),
    )
    .command(
      'leave',
      'drains the minion `coxswain join` made here (its pods move to other minions), stops it and removes it from the cluster',
      (y) => y.option('data-dir', { type: 'string', default: defaultJoinDataDir() }),
      async (a) => {
        const report = await leave(path.resolve(a.dataDir));
        process.stdout.write(`Minion ${report.minion} left the cluster (${report.drained} pod(s) moved away).\n`);
      },
    )
    .command(
      'down',
      'stops the cluster that `coxswain up` started',
      (y) => y.option('data-dir', { type: 'string', default: defaultDataDir(), describe: 'default $COXSWAIN_DATA_DIR or ~/.coxswain/cluster' }),
      async (a) => {
        const stopped = await stopRunningCluster(a.dataDir);
        process.stdout.write(stopped ? 'Coxswain is down.\n' : `No running cluster found in ${a.dataDir}.\n`);
      },
    )
    .demandCommand(1, 'name a component: apiserver, scheduler, replication, endpoints, minion-controller, kubelet, proxy, up, down, join, leave')
    .strict()
    .fail((msg, err) => {
      const message = err instanceof PreflightError ? err.message : (err?.message ?? msg);
      process.stderr.write(`coxswain: ${message}\n`);
      process.exit(err instanceof PreflightError ? 2 : 1);
    })
    .help();
}

class Parsed extends Error {
  constructor(readonly argv: Record<string, unknown>) {
    super('parsed');
  }
}

/**
 * The flags `coxswain <argv>` would run with — validated and coerced as the binary does it — without
 * running anything (e.g. to check a compose file's commands). Throws the binary's message for a
 * command line it refuses.
 */
export function parseCommandLine(argv: string[]): Record<string, unknown> {
  try {
    buildCli(argv)
      .fail(false)
      .exitProcess(false)
      .middleware((parsed) => {
        throw new Parsed(parsed as Record<string, unknown>);
      }, false) // after validation and coercion, before the command's handler
      .parse();
  } catch (e) {
    if (e instanceof Parsed) return e.argv;
    throw e;
  }
  throw new Error(`coxswain ${argv.join(' ')}: not a component command`);
}

interface UpArgs {
  minions: number;
  port: number;
  dataDir: string;
  etcdServers?: string[];
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  etcdTls: boolean;
  etcdPort: number;
  healthzPort: number;
  runtime: 'docker' | 'memory';
  images: boolean;
  verbose: boolean;
  minionGracePeriod?: string;
  podEvictionTimeout?: string;
  hpaDownscaleStabilization?: string;
  hpaSyncPeriod?: string;
  advertiseAddress?: string;
  minionName?: string;
  dockerEndpoint?: string;
  registryPort: number;
}

function checkUpArgs(a: UpArgs): void {
  const int = (v: number, name: string, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`--${name}: must be a whole number from ${lo} to ${hi}, got ${v}`);
  };
  int(a.minions, 'minions', 0, 254);
  int(a.port, 'port', 1, 65535);
  int(a.etcdPort, 'etcd-port', 1, 65534);
  int(a.healthzPort, 'healthz-port', 1, 65532);
  int(a.registryPort, 'registry-port', 0, 65535);
  if (!a.etcdServers && (a.etcdCafile || a.etcdCertfile || a.etcdKeyfile)) {
    throw new Error('--etcd-cafile/--etcd-certfile/--etcd-keyfile: only with --etcd-servers (the etcd `up` starts gets certificates in --data-dir/pki)');
  }
  if (a.minionGracePeriod) parseDuration(a.minionGracePeriod, '--minion-grace-period');
  if (a.podEvictionTimeout) parseDuration(a.podEvictionTimeout, '--pod-eviction-timeout');
  if (a.hpaDownscaleStabilization) parseDuration(a.hpaDownscaleStabilization, '--hpa-downscale-stabilization');
  if (a.hpaSyncPeriod) parseDuration(a.hpaSyncPeriod, '--hpa-sync-period');
}

/**
 * `coxswain up`: a line per component as it becomes healthy, then the summary; JSON logs go to
 * <data-dir>/logs (and here with -v). A preflight problem is one line each and exit 2, with nothing
 * started; a component that fails is named with the end of its log, everything started is stopped,
 * and the exit is 1.
 */
async function runUp(a: UpArgs): Promise<void> {
  checkUpArgs(a);
  const began = Date.now();
  const view = new StartupView(process.stdout);
  const options = {
    minions: a.minions,
    port: a.port,
    dataDir: path.resolve(a.dataDir),
    etcdServers: a.etcdServers,
    etcdTLS: a.etcdServers ? parseEtcdTLS(a, a.etcdServers) : undefined,
    etcdTls: a.etcdTls,
    etcdPort: a.etcdPort,
    healthzPortBase: a.healthzPort,
    runtime: a.runtime,
    images: a.images,
    minionGracePeriod: a.minionGracePeriod,
    podEvictionTimeout: a.podEvictionTimeout,
    hpaDownscaleStabilization: a.hpaDownscaleStabilization,
    hpaSyncPeriod: a.hpaSyncPeriod,
    advertiseAddress: a.advertiseAddress,
    minionName: a.minionName,
    dockerEndpoint: a.dockerEndpoint,
    registryPort: a.registryPort,
    echo: a.verbose ? process.stdout : undefined,
  };
  const problems = await new LocalCluster(options).preflight();
  if (problems.length) {
    for (const p of problems) process.stderr.write(`coxswain up: ${p}\n`);
    process.exit(2);
  }
  const logDir = path.join(options.dataDir, 'logs');
  const logger = createUpLogger(path.join(logDir, 'up.log'), a.verbose);
  const cluster = new LocalCluster({ ...options, logger });
  view.line(`Starting Coxswain: ${a.minions} minion(s) on ${a.runtime}; logs in ${logDir}`);

  let stopping = false;
  const stop = async (why: string) => {
    stopping = true;
    view.line(why);
    await cluster.stop();
  };
  // Stopping minions, the control plane, etcd and the containers takes longer than one process's grace.
  createShutdownCoordinator({ graceMs: 120_000, logger }).onShutdown(async () => {
    await stop('Stopping the cluster...');
    view.line('Coxswain is down.');
  });
  try {
    await cluster.start(view);
  } catch (err) {
    if (stopping) return; // Ctrl-C during start-up: the shutdown above is under way
    if (err instanceof ComponentStartError) {
      view.failed(err.component, err.reason, err.logFile, err.logTail);
    } else {
      view.line(`  ✗ ${(err as Error).message}`);
    }
    logger.error({ err: (err as Error).message }, 'start-up failed');
    await stop('Stopping what was started...');
    const name = err instanceof ComponentStartError ? err.component : 'the cluster';
    process.stderr.write(`coxswain up: ${name} failed to start; nothing is left running. Logs: ${logDir}\n`);
    process.exit(1);
  }
  const down = options.dataDir === path.resolve(defaultDataDir()) ? 'npx coxswain down' : `npx coxswain down --data-dir ${options.dataDir}`;
  process.stdout.write(
    summaryText({ seconds: (Date.now() - began) / 1000, apiUrl: cluster.apiUrl, minions: cluster.minionList().length, runtime: a.runtime, etcd: cluster.etcdServers.join(','), logDir, down, kubeconfig: cluster.kubeconfigPath }),
  );
  const joinCommand = cluster.joinCommand();
  if (cluster.registryAddress) process.stdout.write(`\nCluster registry: docker push ${cluster.registryAddress}/NAME:TAG, then run it on any minion (each host's engine lists ${cluster.registryAddress} in insecure-registries).\n`);
  if (joinCommand) process.stdout.write(`\nTo add a host, run there:\n  ${joinCommand}\n`);
}

type JoinArgs = Omit<JoinOptions, 'logger' | 'env' | 'componentTimeoutMs' | 'echo'> & { verbose: boolean };

/** `coxswain join`: runs until stopped (Ctrl-C, or `coxswain leave`); a refused token or a component that fails ends it with exit 1. */
async function runJoin(a: JoinArgs): Promise<void> {
  const dataDir = path.resolve(a.dataDir);
  mkdirSync(path.join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
  const logger = createUpLogger(path.join(dataDir, 'logs', 'join.log'), a.verbose);
  const host = new JoinedHost({ ...a, dataDir, logger, echo: a.verbose ? process.stdout : undefined });
  let stopping = false;
  createShutdownCoordinator({ graceMs: 60_000, logger }).onShutdown(async () => {
    stopping = true;
    await host.stop();
    process.stdout.write(`Minion ${a.minion} stopped.\n`);
  });
  try {
    const podCIDR = await host.start();
    process.stdout.write(`Joined ${a.server} as minion ${a.minion} at ${a.address}, pods on ${podCIDR}. Logs: ${path.join(dataDir, 'logs')}\n`);
  } catch (err) {
    if (stopping) return;
    await host.stop();
    const tail = err instanceof ComponentStartError ? `\n${err.logTail.map((l) => `    ${l}`).join('\n')}` : '';
    process.stderr.write(`coxswain join: ${(err as Error).message}${tail}\n`);
    process.exit(1);
  }
}

export function main(argv: string[] = hideBin(process.argv)): void {
  Promise.resolve(buildCli(argv).parseAsync()).catch((err: Error) => {
    log.error({ err: err.message }, 'fatal');
    process.stderr.write(`coxswain: ${err.message}\n`);
    process.exit(1);
  });
}

if (require.main === module) main();
