#!/usr/bin/env node
// `coxswain`: one binary whose subcommands start each component as its own process.
// Thin by design: each subcommand parses its flags (the shared ones with @coxswain/process's and
// @coxswain/objects' parsers), calls the package's run function, and registers the component's stop
// with the process's one shutdown path (SIGTERM/SIGINT, with a grace timer). Health is served by the
// component on the port its flags name.
import * as path from 'node:path';
import yargs, { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DEFAULT_PORTAL_NET, runApiServer } from '@coxswain/api';
import { runDeploymentController, runEndpointsController, runMinionController, runReplicationManager, runScheduler } from '@coxswain/reconcilers';
import type { ReconcilerHandle } from '@coxswain/reconcilers';
import { runKubelet } from '@coxswain/kubelet';
import { runProxy } from '@coxswain/proxy';
import { parseDuration } from '@coxswain/objects';
import { createLogger, createShutdownCoordinator, onShutdown, parseEtcdServers, parseEtcdTLS, shutdown, type EtcdTLS, type EtcdTLSFlags } from '@coxswain/process';
import { ComponentStartError, defaultDataDir, LocalCluster, stopRunningCluster } from './local-cluster';
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
        etcdOption(y)
          .option('address', { type: 'string', default: '127.0.0.1' })
          .option('port', { type: 'number', default: 8080 })
          .option('token-file', { type: 'string', describe: 'bearer tokens, one per line; required on a non-loopback address' })
          .option('portal-net', { type: 'string', default: DEFAULT_PORTAL_NET, describe: 'the block services take their portal IP from' })
          .option('metric-resolution', durationOption('metric-resolution', '15s', "how often the kubelets' /stats/summary is scraped for metrics.k8s.io (0 turns it off)"))
          .option('kubelet-credential-file', KUBELET_CREDENTIAL_OPTION),
      async (a) => {
        const api = await runApiServer({ ...etcdConnection(a), address: a.address, port: a.port, tokenFile: a.tokenFile, portalNet: a.portalNet, metricsResolutionMs: a.metricResolution, kubeletCredentialFile: a.kubeletCredentialFile });
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
        reconcilerOptions(y)
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
        etcdOption(y)
          .option('minion', { type: 'string', demandOption: true })
          .option('address', { type: 'string', demandOption: true, describe: 'e.g. 127.0.1.1' })
          .option('pod-cidr', { type: 'string', describe: 'default 172.30.N.0/24 for 127.0.1.N' })
          .option('runtime', { choices: ['docker', 'memory'] as const, default: 'docker' as const })
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
          podInfraImage: a.podInfraImage,
          port: a.port,
          labels: labelsFrom(a.labels),
          capacity: a.cpu || a.memory ? { cpu: a.cpu, memory: a.memory } : undefined,
          housekeepingMs: a.housekeepingInterval,
          podPidsLimit: a.podPidsLimit,
          rootDir: a.rootDir,
          allowedHostPaths: a.allowedHostPaths ? a.allowedHostPaths.split(',').map((p) => p.trim()).filter(Boolean) : undefined,
          credentialFile: a.kubeletCredentialFile,
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
          .option('iptables', { type: 'string', default: '/usr/sbin/iptables', describe: 'the iptables binary portal rules are written with' }),
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
          .option('hpa-downscale-stabilization', { type: 'string', describe: 'how long an autoscaler waits before scaling down (default 5m)' }),
      (a) => runUp(a),
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
    .demandCommand(1, 'name a component: apiserver, scheduler, replication, endpoints, minion-controller, kubelet, proxy, up, down')
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
}

function checkUpArgs(a: UpArgs): void {
  const int = (v: number, name: string, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`--${name}: must be a whole number from ${lo} to ${hi}, got ${v}`);
  };
  int(a.minions, 'minions', 0, 254);
  int(a.port, 'port', 1, 65535);
  int(a.etcdPort, 'etcd-port', 1, 65534);
  int(a.healthzPort, 'healthz-port', 1, 65532);
  if (!a.etcdServers && (a.etcdCafile || a.etcdCertfile || a.etcdKeyfile)) {
    throw new Error('--etcd-cafile/--etcd-certfile/--etcd-keyfile: only with --etcd-servers (the etcd `up` starts gets certificates in --data-dir/pki)');
  }
  if (a.minionGracePeriod) parseDuration(a.minionGracePeriod, '--minion-grace-period');
  if (a.podEvictionTimeout) parseDuration(a.podEvictionTimeout, '--pod-eviction-timeout');
  if (a.hpaDownscaleStabilization) parseDuration(a.hpaDownscaleStabilization, '--hpa-downscale-stabilization');
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
    summaryText({ seconds: (Date.now() - began) / 1000, apiUrl: cluster.apiUrl, minions: a.minions, runtime: a.runtime, etcd: cluster.etcdServers.join(','), logDir, down, kubeconfig: cluster.kubeconfigPath }),
  );
}

export function main(argv: string[] = hideBin(process.argv)): void {
  Promise.resolve(buildCli(argv).parseAsync()).catch((err: Error) => {
    log.error({ err: err.message }, 'fatal');
    process.stderr.write(`coxswain: ${err.message}\n`);
    process.exit(1);
  });
}

if (require.main === module) main();
