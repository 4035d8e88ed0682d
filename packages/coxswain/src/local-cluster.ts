// `coxswain up`: a whole cluster on this machine — etcd (unless --etcd-servers names one), the API
// server, every reconciler, and N minions (a kubelet and a proxy each) — as supervised processes.
// start() reports each component as it becomes healthy; a component that exits or stays unhealthy
// during start-up fails it with the last lines of that component's log.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { parseTokenFile } from '@coxswain/api';
import { join } from 'node:path';
import { createLogger, etcdClientFlags, EtcdCredentials, etcdMemberTLSFlags, LOOPBACK_HOSTS, type EtcdRole, type EtcdTLS, type Logger } from '@coxswain/process';
import { writeKubeletCredential } from '@coxswain/client';
import { ComponentSpec, lastLines } from './supervisor';
import { ComponentStartError, LOG_TAIL_LINES, ProcessGroup, stopRunningGroup } from './process-group';
import { dataDirProblem, dockerProblem, etcdProblem, opensslProblem, portProblem, PreflightError, registryProblem, runningUpPid } from './preflight';
import { etcdMembers, newEncryptionConfig } from '@coxswain/store';
import { buildLocalImages } from './local-images';
import { etcdMemberSpec } from './etcd-member';

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
  /** How often each autoscaler is looked at (the replication process's --hpa-sync-period; tests shorten it). */
  hpaSyncPeriod?: string;
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
  /**
   * The first host of a cluster of many (`--advertise-address`): etcd and the API server listen on
   * this address (the API with tokens: an admin token for kubectl and kubecfg, a join token for
   * `coxswain join`), and one minion runs at it, its pod subnet allocated, its proxy keeping routes
   * to the other hosts' pods. Without it: N minions on 127.0.1.N, all on this host.
   */
  advertiseAddress?: string;
  /** The advertised host's minion name (default: the host name). */
  minionName?: string;
  /** The Docker engine the kubelets use (--docker-endpoint); default the local socket. */
  dockerEndpoint?: string;
  /**
   * With advertiseAddress: run the cluster registry (Debian's docker-registry, the distribution
   * registry) on this port of the advertised address, so an image pushed once runs on every host.
   * 0: none. Default 5000.
   */
  registryPort?: number;
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

/**
 * `<data-dir>/encryption-config.yaml`, made on the first `up` (mode 0600) with a fresh AES-GCM key
 * for Secrets and kept: the next `up` on the same etcd data must read them with the same key.
 * Rotate by editing it as for kube-apiserver (docs/store.md).
 */
export function ensureEncryptionConfig(dataDir: string): string {
  const file = join(dataDir, 'encryption-config.yaml');
  if (!existsSync(file)) writeFileSync(file, newEncryptionConfig(), { mode: 0o600 });
  return file;
}

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

/** The users of the token file `up --advertise-address` makes: kubectl's and kubecfg's, and `coxswain join`'s (a bootstrap user: join info only). */
const ADMIN_USER = 'admin';
const JOIN_USER = 'system:bootstrap:join';

export class LocalCluster extends ProcessGroup {
  readonly apiUrl: string;
  /** Its own member first; with hosts that joined as members, theirs after (read at start). */
  etcdServers: string[];
  /** The CA and per-role certificates of the etcd this cluster starts with TLS. */
  private readonly credentials?: EtcdCredentials;

  constructor(readonly opts: LocalClusterOptions) {
    super(join(opts.dataDir, 'logs'), opts, opts.logger ?? createLogger('up'));
    const host = opts.advertiseAddress ?? '127.0.0.1';
    this.apiUrl = `http://${host}:${opts.port}`;
    const startsTlsEtcd = !opts.etcdServers && opts.etcdTls !== false;
    this.etcdServers = opts.etcdServers ?? [`${startsTlsEtcd ? 'https' : 'http'}://${host}:${opts.etcdPort}`];
    if (startsTlsEtcd) this.credentials = new EtcdCredentials(join(opts.dataDir, 'pki'));
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
    if (this.registryAddress) problems.push(registryProblem());
    const dirProblem = dataDirProblem(o.dataDir);
    problems.push(dirProblem);
    const running = dirProblem ? undefined : runningUpPid(o.dataDir);
    if (running) problems.push(`a cluster is already running from ${o.dataDir} (coxswain up, pid ${running}): stop it with \`npx coxswain down${o.dataDir === defaultDataDir() ? '' : ` --data-dir ${o.dataDir}`}\``);
    const host = o.advertiseAddress ?? '127.0.0.1';
    problems.push(await portProblem(host, o.port, 'API server', '--port'));
    if (!o.etcdServers) {
      problems.push(await portProblem(host, o.etcdPort, 'etcd clients', '--etcd-port'));
      problems.push(await portProblem(host, o.etcdPort + 1, 'etcd peers: --etcd-port + 1', '--etcd-port'));
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
      if (this.opts.advertiseAddress) {
        // Restarted after hosts joined with their own members: they are the way out when this one is down.
        const others = (await etcdMembers(this.etcdServers, this.credentials?.client('apiserver'))).flatMap((m) => m.clientURLs);
        this.etcdServers = [...new Set([this.etcdServers[0], ...others])];
      }
    }
    // A fresh secret per `up`, given to the API server, the replication manager's scraper and the kubelets only.
    const credentialFile = join(this.opts.dataDir, 'kubelet-credential');
    writeKubeletCredential(credentialFile);
    const credential = ['--kubelet-credential-file', credentialFile];
    const tokens = this.opts.advertiseAddress ? ['--token-file', this.writeTokens()] : [];
    // Joining hosts get their etcd client certificates from the API server, signed by this CA.
    const joinPki = this.opts.advertiseAddress && this.credentials ? ['--join-etcd-pki-dir', this.credentials.dir] : [];
    // Secrets encrypted at rest; every process that reads them from etcd gets the file.
    const encryption = ['--encryption-provider-config', ensureEncryptionConfig(this.opts.dataDir)];
    const api = this.launch(
      this.nodeSpec('apiserver', ['apiserver', ...this.etcdFlags('apiserver'), '--address', this.opts.advertiseAddress ?? '127.0.0.1', '--port', String(this.opts.port), ...credential, ...tokens, ...joinPki, ...encryption]),
    );
    report.begin('apiserver');
    await this.waitHealthy(api, `${this.apiUrl}/healthz`);
    report.done('apiserver', this.apiUrl);
    const registry = this.registryAddress;
    if (registry) {
      const proc = this.launch(this.registrySpec(registry));
      report.begin('registry');
      await this.waitHealthy(proc, `http://${registry}/v2/`);
      report.done('registry', `${registry} (push here; every host's engine lists it in insecure-registries)`);
    }

    const reconcilers: Array<[string, string[]]> = [
      ['scheduler', []],
      [
        'replication',
        [
          ...credential,
          ...encryption,
          ...(this.opts.hpaDownscaleStabilization ? ['--hpa-downscale-stabilization', this.opts.hpaDownscaleStabilization] : []),
          ...(this.opts.hpaSyncPeriod ? ['--hpa-sync-period', this.opts.hpaSyncPeriod] : []),
        ],
      ],
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
    if (this.minionList().length > 0) await this.notePortalBridge();
    const many = this.opts.advertiseAddress !== undefined;
    for (const [n, m] of this.minionList().entries()) {
      const i = n + 1;
      const kubelet = this.launch(
        this.nodeSpec(`kubelet-${i}`, [
          'kubelet', '--minion', m.name, '--address', m.address, ...(m.podCIDR ? ['--pod-cidr', m.podCIDR] : []),
          ...this.etcdFlags({ minion: m.name }), '--runtime', this.opts.runtime, ...credential, ...encryption,
          ...(this.opts.dockerEndpoint ? ['--docker-endpoint', this.opts.dockerEndpoint] : []),
          // Pod directories (volumes) in the data dir, one root per minion.
          '--root-dir', join(this.opts.dataDir, 'kubelet', m.name),
          ...(this.opts.allowedHostPaths?.length ? ['--allowed-host-paths', this.opts.allowedHostPaths.join(',')] : []),
        ]),
      );
      const proxy = this.launch(this.nodeSpec(`proxy-${i}`, ['proxy', '--minion', m.name, ...this.etcdFlags({ minion: m.name }), ...(many ? ['--pod-routes'] : [])]));
      minions.push({ m, kubelet, proxy });
    }
    for (const { m, kubelet, proxy } of minions) {
      report.begin(m.name);
      // The kubelet serves on 10250 and the proxy on 10249 of the minion's address; the proxy is
      // healthy once the kubelet has registered the minion and it has listed services and endpoints.
      await this.waitHealthy(kubelet, `http://${m.address}:10250/healthz`);
      await this.waitHealthy(proxy, `http://${m.address}:10249/healthz`);
      report.done(m.name, `kubelet + proxy on ${m.address}, pods on ${m.podCIDR ?? 'an allocated subnet'}`);
    }
    this.writeCliConfig();
  }

  /**
   * `--etcd-servers` and, with TLS, the `--etcd-*` files of one role (a user-run etcd's files are
   * the same for every role).
   */
  private etcdFlags(role: EtcdRole): string[] {
    return etcdClientFlags(this.etcdServers, this.credentials?.client(role) ?? this.opts.etcdTLS);
  }

  /**
   * The cluster's first etcd member. On loopback it is the only one: peers plain, on 127.0.0.1. The
   * first host of many (--advertise-address) serves its peer port there too, with TLS like its
   * clients, for the members `join --etcd-member` adds; its certificate names the address.
   */
  private etcdSpec(): ComponentSpec {
    const advertised = this.opts.advertiseAddress;
    const name = advertised ? this.minionList()[0].name : 'coxswain';
    const peerURL = advertised ? `${this.credentials ? 'https' : 'http'}://${advertised}:${this.opts.etcdPort + 1}` : `http://127.0.0.1:${this.opts.etcdPort + 1}`;
    const credentials = this.credentials;
    const tlsFlags = !credentials ? [] : advertised ? etcdMemberTLSFlags(credentials.authority().certFile, credentials.member(name, [advertised, ...LOOPBACK_HOSTS])) : credentials.etcdServerFlags();
    return etcdMemberSpec({
      name, dataDir: join(this.opts.dataDir, 'etcd'), clientURL: this.etcdServers[0], peerURL,
      initialCluster: `${name}=${peerURL}`, state: 'new', tlsFlags, logDir: this.logDir,
    });
  }

  /** host:port of the cluster registry, when this cluster runs one (up --advertise-address). */
  get registryAddress(): string | undefined {
    const port = this.opts.registryPort ?? 5000;
    return this.opts.advertiseAddress && port > 0 ? `${this.opts.advertiseAddress}:${port}` : undefined;
  }

  /** The distribution registry, its blobs in the data dir, serving plain HTTP on the cluster's link (no auth: see docs/networking.md). */
  private registrySpec(address: string): ComponentSpec {
    const config = join(this.opts.dataDir, 'registry.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log: {level: warn}',
        `storage: {filesystem: {rootdirectory: ${JSON.stringify(join(this.opts.dataDir, 'registry'))}}, delete: {enabled: true}}`,
        `http: {addr: ${JSON.stringify(address)}}`,
        '',
      ].join('\n'),
    );
    return { name: 'registry', command: 'docker-registry', args: ['serve', config], logFile: join(this.logDir, 'registry.log'), env: this.opts.env };
  }

  /** The minions this cluster runs here: 127.0.1.N, or the one at the advertised address. */
  minionList(): { name: string; address: string; podCIDR?: string }[] {
    if (this.opts.advertiseAddress) return [{ name: this.opts.minionName ?? hostname(), address: this.opts.advertiseAddress }];
    return Array.from({ length: this.opts.minions }, (_, i) => minionLayout(i + 1));
  }

  /** The admin and join tokens (made once, kept in the data dir), as the API server's token file. */
  private writeTokens(): string {
    const file = join(this.opts.dataDir, 'tokens.csv');
    if (!existsSync(file)) {
      const token = () => randomBytes(16).toString('hex');
      writeFileSync(file, `${token()},${ADMIN_USER}\n${token()},${JOIN_USER}\n`, { mode: 0o600 });
    }
    return file;
  }

  /** The token of `user` in the token file `up --advertise-address` made (undefined on a loopback cluster). */
  tokenOf(user: string): string | undefined {
    const file = join(this.opts.dataDir, 'tokens.csv');
    if (!this.opts.advertiseAddress || !existsSync(file)) return undefined;
    return [...parseTokenFile(readFileSync(file, 'utf8'))].find(([, u]) => u.name === user)?.[0];
  }

  /** What another host runs to join this cluster (with --advertise-address), else undefined. */
  joinCommand(): string | undefined {
    const token = this.tokenOf(JOIN_USER);
    return token && `coxswain join --server ${this.apiUrl} --token ${token} --address <this host's address>`;
  }

  private writeCliConfig(): void {
    const path = this.opts.cliConfigPath ?? defaultCliConfigPath();
    const token = this.tokenOf(ADMIN_USER);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify({ server: this.apiUrl, ...(token ? { token } : {}) }, null, 2) + '\n', { mode: 0o600 });
    // And one for stock kubectl: `KUBECONFIG=<data dir>/kubeconfig kubectl get nodes`.
    writeFileSync(this.kubeconfigPath, kubeconfigText(this.apiUrl, token), { mode: 0o600 });
  }

  /** The kubeconfig `up` writes for kubectl, in the data dir. */
  get kubeconfigPath(): string {
    return join(this.opts.dataDir, 'kubeconfig');
  }

  /** Stops the minions first (so no pod is rescheduled while we go), then the control plane, then etcd. */
  async stop(): Promise<void> {
    const order = (name: string) => (name.startsWith('kubelet') || name.startsWith('proxy') ? 0 : name === 'etcd' || name === 'registry' ? 2 : 1);
    for (const rank of [0, 1, 2]) {
      await Promise.all(this.components.filter((c) => order(c.spec.name) === rank).map((c) => c.stop()));
    }
    if (this.opts.runtime === 'docker' && this.components.length) await this.removeMinionContainers(this.minionList().map((m) => m.name), this.opts.dockerEndpoint);
    await this.removePortalBridgeIfMade();
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

}

/** `coxswain down`: asks a running `coxswain up` (found through its pid file) to stop, and waits. */
export function stopRunningCluster(dataDir: string, timeoutMs = 60_000): Promise<boolean> {
  return stopRunningGroup(dataDir, 'up.pid', 'coxswain up', timeoutMs);
}

/** A kubeconfig for kubectl: the cluster's API server, and the admin token when it listens beyond loopback. */
function kubeconfigText(server: string, token?: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: coxswain, cluster: {server: "${server}"}}]`,
    'contexts: [{name: coxswain, context: {cluster: coxswain, user: coxswain, namespace: default}}]',
    `users: [{name: coxswain, user: {${token ? `token: "${token}"` : ''}}}]`,
    'current-context: coxswain',
    '',
  ].join('\n');
}
