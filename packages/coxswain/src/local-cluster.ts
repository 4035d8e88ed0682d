// `coxswain up`: a whole cluster on this machine — etcd (unless --etcd-servers names one), the API
// server, every reconciler, and N minions (a kubelet and a proxy each) — as supervised processes.
// start() reports each component as it becomes healthy; a component that exits or stays unhealthy
// during start-up fails it with the last lines of that component's log.
import { mkdirSync, writeFileSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { get, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { realClock } from '@coxswain/objects';
import { createLogger, type EtcdTLS, type Logger } from '@coxswain/process';
import { EtcdCredentials, type EtcdRole } from './etcd-credentials';
import { writeKubeletCredential } from '@coxswain/client';
import { ComponentSpec, lastLines, SupervisedProcess } from './supervisor';
import { dataDirProblem, dockerProblem, etcdProblem, opensslProblem, portProblem, PreflightError, runningUpPid } from './preflight';
import { buildLocalImages } from './local-images';
import { DockerRuntime, LABELS } from '@coxswain/kubelet';
import { hasPortalInterface, removePortalRoute } from '@coxswain/proxy';

export interface LocalClusterOptions {
  minions: number;
  port: number;
  dataDir: string;
  etcdServers?: string[];
  /** With etcdServers: the TLS files every component presents to that cluster. */
  etcdTLS?: EtcdTLS;
  /** The etcd this cluster starts serves TLS to client certificates only (certificates in <dataDir>/pki). Default true. */
  etcdTls?: boolean;
  etcdPort: number;
  runtime: 'docker' | 'memory';
  /** Eviction and grace settings for the minion lifecycle controller (tests shorten them). */
  minionGracePeriod?: string;
  podEvictionTimeout?: string;
  /** How long an autoscaler's scale-down waits (the replication process's --hpa-downscale-stabilization; tests shorten it). */
  hpaDownscaleStabilization?: string;
  /** Where the CLI's config is written; default ~/.coxswain/config.json. */
  cliConfigPath?: string;
  /** Extra environment for every component. */
  env?: NodeJS.ProcessEnv;
  /** Host directories the kubelets let hostPath volumes use (--allowed-host-paths); default none. */
  allowedHostPaths?: string[];
  /** The reconcilers serve /healthz on this port and the next four; default 10251. */
  healthzPortBase?: number;
  /** Build the seed guestbook's stand-in images first (e2e/images/build.sh); `coxswain up` does with Docker. */
  images?: boolean;
  /** How long one component may take to become healthy; default 60 s. */
  componentTimeoutMs?: number;
  /** The launcher's own events (default: JSON on stdout). */
  logger?: Logger;
  /** Also copy every component's output here (`coxswain up -v`). */
  echo?: NodeJS.WritableStream;
}

/** What start() tells as it goes: a step begins, and it is healthy (with a detail for its line). */
export interface StartupReporter {
  begin(step: string): void;
  done(step: string, detail: string): void;
}

const QUIET: StartupReporter = { begin: () => undefined, done: () => undefined };

/** A component that did not come up: its name, why, and the end of its log. */
export class ComponentStartError extends Error {
  constructor(
    readonly component: string,
    readonly reason: string,
    readonly logFile: string,
    readonly logTail: string[],
  ) {
    super(`${component} ${reason} (log: ${logFile})`);
  }
}

/** Lines a user sees for a failed component's log: the last 10. */
export const LOG_TAIL_LINES = 10;

/** `--data-dir`'s default for up and down: $COXSWAIN_DATA_DIR, else ~/.coxswain/cluster. */
export function defaultDataDir(): string {
  return process.env.COXSWAIN_DATA_DIR || join(homedir(), '.coxswain', 'cluster');
}

export function defaultCliConfigPath(): string {
  return process.env.COXSWAIN_CONFIG ?? join(homedir(), '.coxswain', 'config.json');
}

/** The address and pod network of minion i (1-based): 127.0.1.i and 172.30.i.0/24. */
export function minionLayout(i: number): { name: string; address: string; podCIDR: string } {
  return { name: `minion-${i}`, address: `127.0.1.${i}`, podCIDR: `172.30.${i}.0/24` };
}

// The built binary beside this file; when this file runs from its TypeScript source (jest), the
// package's dist build of it.
const MAIN = existsSync(join(__dirname, 'main.js')) ? join(__dirname, 'main.js') : join(__dirname, '..', 'dist', 'main.js');

export class LocalCluster {
  readonly components: SupervisedProcess[] = [];
  readonly apiUrl: string;
  readonly etcdServers: string[];
  readonly logDir: string;
  /** The CA and per-role certificates of the etcd this cluster starts with TLS. */
  private readonly credentials?: EtcdCredentials;
  private readonly log: Logger;
  /** The proxies route the portal network to a bridge; `down` removes it when this cluster made it. */
  private madePortalBridge = false;

  constructor(readonly opts: LocalClusterOptions) {
    this.apiUrl = `http://127.0.0.1:${opts.port}`;
    const startsTlsEtcd = !opts.etcdServers && opts.etcdTls !== false;
    this.etcdServers = opts.etcdServers ?? [`${startsTlsEtcd ? 'https' : 'http'}://127.0.0.1:${opts.etcdPort}`];
    if (startsTlsEtcd) this.credentials = new EtcdCredentials(join(opts.dataDir, 'pki'));
    this.logDir = join(opts.dataDir, 'logs');
    this.log = opts.logger ?? createLogger('up');
  }

  component(name: string): SupervisedProcess | undefined {
    return this.components.find((c) => c.spec.name === name);
  }

  /**
   * Everything that would stop start() before it launched anything, one line per problem: etcd or
   * Docker missing, the data dir not writable, a cluster already running from it, the API or etcd
   * ports taken. Creates the data dir and its logs/ directory.
   */
  async preflight(): Promise<string[]> {
    const o = this.opts;
    const problems: Array<string | undefined> = [];
    if (!o.etcdServers) problems.push(etcdProblem());
    if (this.credentials) problems.push(opensslProblem());
    if (o.runtime === 'docker') problems.push(await dockerProblem());
    const dirProblem = dataDirProblem(o.dataDir);
    problems.push(dirProblem);
    const running = dirProblem ? undefined : runningUpPid(o.dataDir);
    if (running) problems.push(`a cluster is already running from ${o.dataDir} (coxswain up, pid ${running}): stop it with \`npx coxswain down${o.dataDir === defaultDataDir() ? '' : ` --data-dir ${o.dataDir}`}\``);
    problems.push(await portProblem('127.0.0.1', o.port, 'API server', '--port'));
    if (!o.etcdServers) {
      problems.push(await portProblem('127.0.0.1', o.etcdPort, 'etcd clients', '--etcd-port'));
      problems.push(await portProblem('127.0.0.1', o.etcdPort + 1, 'etcd peers: --etcd-port + 1', '--etcd-port'));
    }
    return problems.filter((p): p is string => p !== undefined);
  }

  /**
   * Starts every component in order, each once the one it needs is healthy. Throws PreflightError
   * (nothing started) or ComponentStartError; after either, stop() ends whatever did start.
   */
  async start(report: StartupReporter = QUIET): Promise<void> {
    const problems = await this.preflight();
    if (problems.length) throw new PreflightError(problems.join('\n'));
    mkdirSync(this.logDir, { recursive: true });
    writeFileSync(join(this.opts.dataDir, 'up.pid'), String(process.pid));

    if (this.opts.images && this.opts.runtime === 'docker') {
      report.begin('images');
      const logFile = join(this.logDir, 'images.log');
      const images = await buildLocalImages(logFile).catch((e: Error) => {
        throw new ComponentStartError('images', `could not be built: ${e.message}`, logFile, lastLines(logFile, LOG_TAIL_LINES));
      });
      const foreign = images.foreign.length ? `; left alone (not Coxswain builds): ${images.foreign.join(', ')}` : '';
      report.done('images', `${images.aliases.map((a) => a.replace(/:latest$/, '')).join(', ')} (local builds${images.built.length ? `, ${images.built.length} rebuilt` : ', cached'})${foreign}`);
    }

    if (!this.opts.etcdServers) {
      const etcd = this.launch(this.etcdSpec());
      report.begin('etcd');
      // etcd's /health over TLS wants a client certificate too: the API server's will do.
      await this.waitHealthy(etcd, `${this.etcdServers[0]}/health`, this.credentials?.client('apiserver'));
      report.done('etcd', `${this.etcdServers[0]}${this.credentials ? ' (TLS, client certificates)' : ''}`);
    }
    // A fresh secret per `up`, given to the API server, the replication manager's scraper and the kubelets only.
    const credentialFile = join(this.opts.dataDir, 'kubelet-credential');
    writeKubeletCredential(credentialFile);
    const credential = ['--kubelet-credential-file', credentialFile];
    const api = this.launch(this.nodeSpec('apiserver', ['apiserver', ...this.etcdFlags('apiserver'), '--address', '127.0.0.1', '--port', String(this.opts.port), ...credential]));
    report.begin('apiserver');
    await this.waitHealthy(api, `${this.apiUrl}/healthz`);
    report.done('apiserver', this.apiUrl);

    const reconcilers: Array<[string, string[]]> = [
      ['scheduler', []],
      ['replication', [...credential, ...(this.opts.hpaDownscaleStabilization ? ['--hpa-downscale-stabilization', this.opts.hpaDownscaleStabilization] : [])]],
      ['endpoints', []],
      [
        'minion-controller',
        [
          ...(this.opts.minionGracePeriod ? ['--grace-period', this.opts.minionGracePeriod] : []),
          ...(this.opts.podEvictionTimeout ? ['--eviction-timeout', this.opts.podEvictionTimeout] : []),
        ],
      ],
      // Last, so the others keep their healthz ports.
      ['deployments', []],
    ];
    const started = reconcilers.map(([name, extra], i) => {
      const port = (this.opts.healthzPortBase ?? 10251) + i;
      return { name, port, proc: this.launch(this.nodeSpec(name, [name, ...this.etcdFlags(name === 'scheduler' ? 'scheduler' : 'reconcilers'), '--healthz-port', String(port), ...extra])) };
    });
    for (const { name, port, proc } of started) {
      report.begin(name);
      await this.waitHealthy(proc, `http://127.0.0.1:${port}/healthz`);
      report.done(name, `healthz :${port}`);
    }

    const minions = [];
    if (this.opts.minions > 0) this.madePortalBridge = !(await hasPortalInterface());
    for (let i = 1; i <= this.opts.minions; i++) {
      const m = minionLayout(i);
      const kubelet = this.launch(
        this.nodeSpec(`kubelet-${i}`, [
          'kubelet', '--minion', m.name, '--address', m.address, '--pod-cidr', m.podCIDR,
          ...this.etcdFlags({ minion: m.name }), '--runtime', this.opts.runtime, ...credential,
          // Pod directories (volumes) in the data dir, one root per minion.
          '--root-dir', join(this.opts.dataDir, 'kubelet', m.name),
          ...(this.opts.allowedHostPaths?.length ? ['--allowed-host-paths', this.opts.allowedHostPaths.join(',')] : []),
        ]),
      );
      const proxy = this.launch(this.nodeSpec(`proxy-${i}`, ['proxy', '--minion', m.name, ...this.etcdFlags({ minion: m.name })]));
      minions.push({ m, kubelet, proxy });
    }
    for (const { m, kubelet, proxy } of minions) {
      report.begin(m.name);
      // The kubelet serves on 10250 and the proxy on 10249 of the minion's address; the proxy is
      // healthy once the kubelet has registered the minion and it has listed services and endpoints.
      await this.waitHealthy(kubelet, `http://${m.address}:10250/healthz`);
      await this.waitHealthy(proxy, `http://${m.address}:10249/healthz`);
      report.done(m.name, `kubelet + proxy on ${m.address}, pods on ${m.podCIDR}`);
    }
    this.writeCliConfig();
  }

  /** Waits until `url` answers 200; fails at once when the component exits, else after the timeout. */
  private async waitHealthy(proc: SupervisedProcess, url: string, tls?: EtcdTLS): Promise<void> {
    const timeoutMs = this.opts.componentTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    const fail = (reason: string) => new ComponentStartError(proc.spec.name, reason, proc.spec.logFile, lastLines(proc.spec.logFile, LOG_TAIL_LINES));
    for (;;) {
      const exit = proc.lastExit;
      if (exit) {
        throw fail(exit.error ? `could not be started: ${exit.error}` : `exited during start-up (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`})`);
      }
      if (await httpOk(url, tls)) return;
      if (Date.now() > deadline) throw fail(`did not become healthy at ${url} within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * `--etcd-servers` and, with TLS, the `--etcd-*` files of one role (a user-run etcd's files are
   * the same for every role).
   */
  private etcdFlags(role: EtcdRole): string[] {
    const tls = this.credentials?.client(role) ?? this.opts.etcdTLS;
    const files = tls ? ['--etcd-cafile', tls.caFile, '--etcd-certfile', tls.certFile, '--etcd-keyfile', tls.keyFile] : [];
    return ['--etcd-servers', this.etcdServers.join(','), ...files];
  }

  private etcdSpec(): ComponentSpec {
    const client = this.etcdServers[0];
    // Peers stay plain: one member, listening on loopback only.
    const peer = `http://127.0.0.1:${this.opts.etcdPort + 1}`;
    return {
      name: 'etcd',
      command: 'etcd',
      args: [
        '--name', 'coxswain', '--data-dir', join(this.opts.dataDir, 'etcd'),
        '--listen-client-urls', client, '--advertise-client-urls', client,
        '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `coxswain=${peer}`, '--log-level', 'warn',
        ...(this.credentials?.etcdServerFlags() ?? []),
      ],
      logFile: join(this.logDir, 'etcd.log'),
    };
  }

  private nodeSpec(name: string, args: string[]): ComponentSpec {
    return { name, command: process.execPath, args: [MAIN, ...args], logFile: join(this.logDir, `${name}.log`), env: this.opts.env };
  }

  private launch(spec: ComponentSpec): SupervisedProcess {
    const proc = new SupervisedProcess(spec, { logger: this.log, echo: this.opts.echo });
    this.components.push(proc);
    proc.start();
    this.log.info({ name: spec.name, pid: proc.pid }, 'started');
    return proc;
  }

  private writeCliConfig(): void {
    const path = this.opts.cliConfigPath ?? defaultCliConfigPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify({ server: this.apiUrl }, null, 2) + '\n');
    // And one for stock kubectl: `KUBECONFIG=<data dir>/kubeconfig kubectl get nodes`.
    writeFileSync(this.kubeconfigPath, kubeconfigText(this.apiUrl));
  }

  /** The kubeconfig `up` writes for kubectl, in the data dir. */
  get kubeconfigPath(): string {
    return join(this.opts.dataDir, 'kubeconfig');
  }

  /** Stops the minions first (so no pod is rescheduled while we go), then the control plane, then etcd. */
  async stop(): Promise<void> {
    const order = (name: string) => (name.startsWith('kubelet') || name.startsWith('proxy') ? 0 : name === 'etcd' ? 2 : 1);
    for (const rank of [0, 1, 2]) {
      await Promise.all(this.components.filter((c) => order(c.spec.name) === rank).map((c) => c.stop()));
    }
    if (this.opts.runtime === 'docker' && this.components.length) await this.removeMinionContainers();
    if (this.madePortalBridge) await removePortalRoute();
    this.removeOwnPidFile();
  }

  /** Removes up.pid when it is this process's (a refused second `up` must not remove the first's). */
  private removeOwnPidFile(): void {
    const file = join(this.opts.dataDir, 'up.pid');
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
    } catch {
      // none, or not readable
    }
  }

  /** Kubelets leave pods running when they stop (a restart adopts them); a cluster going down does not. */
  private async removeMinionContainers(): Promise<void> {
    const docker = new DockerRuntime({ logger: this.log });
    try {
      for (let i = 1; i <= this.opts.minions; i++) {
        const { name } = minionLayout(i);
        const containers = await docker.listContainers({ [LABELS.minion]: name });
        await Promise.all(containers.map((c) => docker.removeContainer(c.id)));
        await docker.removeNetwork(`coxswain-${name}`);
        this.log.info({ minion: name, containers: containers.length }, 'removed minion containers and network');
      }
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'could not remove minion containers');
    } finally {
      await docker.close();
    }
  }
}

/** `coxswain down`: asks a running `coxswain up` (found through its pid file) to stop, and waits. */
export async function stopRunningCluster(dataDir: string, timeoutMs = 60_000): Promise<boolean> {
  const pidFile = join(dataDir, 'up.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    rmSync(pidFile, { force: true });
    return false;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await realClock.sleep(200);
  }
  throw new Error(`coxswain up (pid ${pid}) did not stop within ${timeoutMs / 1000}s`);
}

/** True when a GET of `url` answers 200 within 2 s (https: checked against `tls`' CA, presenting its certificate). */
function httpOk(url: string, tls?: EtcdTLS): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const onResponse = (res: IncomingMessage) => {
      res.resume();
      resolve(res.statusCode === 200);
    };
    const req = tls
      ? httpsGet(url, { timeout: 2000, agent: false, ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, onResponse)
      : get(url, { timeout: 2000, agent: false }, onResponse);
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export async function waitForHttp(url: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await httpOk(url)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not become healthy at ${url} within ${timeoutMs / 1000}s`);
    await realClock.sleep(200);
  }
}

/** A kubeconfig for kubectl: the cluster's API server, no credentials (it listens on loopback). */
function kubeconfigText(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: coxswain, cluster: {server: "${server}"}}]`,
    'contexts: [{name: coxswain, context: {cluster: coxswain, user: coxswain, namespace: default}}]',
    'users: [{name: coxswain, user: {}}]',
    'current-context: coxswain',
    '',
  ].join('\n');
}
