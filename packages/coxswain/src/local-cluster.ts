// `coxswain up`: a whole cluster on this machine — etcd (unless --etcd-servers names one), the API
// server, every reconciler, and N minions (a kubelet and a proxy each) — as supervised processes.
import { mkdirSync, writeFileSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import { realClock } from '@coxswain/objects';
import { createLogger } from '@coxswain/process';
import { ComponentSpec, SupervisedProcess } from './supervisor';
import { requireDocker, requireEtcd } from './preflight';
import { DockerRuntime, LABELS } from '@coxswain/kubelet';

const log = createLogger('up');

export interface LocalClusterOptions {
  minions: number;
  port: number;
  dataDir: string;
  etcdServers?: string[];
  etcdPort: number;
  runtime: 'docker' | 'memory';
  /** Eviction and grace settings for the minion lifecycle controller (tests shorten them). */
  minionGracePeriod?: string;
  podEvictionTimeout?: string;
  /** Where the CLI's config is written; default ~/.coxswain/config.json. */
  cliConfigPath?: string;
  /** Extra environment for every component. */
  env?: NodeJS.ProcessEnv;
  /** The reconcilers serve /healthz on this port and the next three; default 10251. */
  healthzPortBase?: number;
}

export function defaultDataDir(): string {
  return join(homedir(), '.coxswain', 'cluster');
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
  private readonly logDir: string;

  constructor(readonly opts: LocalClusterOptions) {
    this.apiUrl = `http://127.0.0.1:${opts.port}`;
    this.etcdServers = opts.etcdServers ?? [`http://127.0.0.1:${opts.etcdPort}`];
    this.logDir = join(opts.dataDir, 'logs');
  }

  component(name: string): SupervisedProcess | undefined {
    return this.components.find((c) => c.spec.name === name);
  }

  async start(): Promise<void> {
    if (!this.opts.etcdServers) requireEtcd();
    if (this.opts.runtime === 'docker') await requireDocker();
    mkdirSync(this.logDir, { recursive: true });
    writeFileSync(join(this.opts.dataDir, 'up.pid'), String(process.pid));

    if (!this.opts.etcdServers) {
      this.launch(this.etcdSpec());
      await waitForHttp(`${this.etcdServers[0]}/health`, 30_000, 'etcd');
    }
    const etcd = this.etcdServers.join(',');
    this.launch(this.nodeSpec('apiserver', ['apiserver', '--etcd-servers', etcd, '--address', '127.0.0.1', '--port', String(this.opts.port)]));
    await waitForHttp(`${this.apiUrl}/healthz`, 30_000, 'apiserver');

    const reconcilers: Array<[string, string[]]> = [
      ['scheduler', []],
      ['replication', []],
      ['endpoints', []],
      [
        'minion-controller',
        [
          ...(this.opts.minionGracePeriod ? ['--grace-period', this.opts.minionGracePeriod] : []),
          ...(this.opts.podEvictionTimeout ? ['--eviction-timeout', this.opts.podEvictionTimeout] : []),
        ],
      ],
    ];
    reconcilers.forEach(([name, extra], i) => {
      this.launch(this.nodeSpec(name, [name, '--etcd-servers', etcd, '--healthz-port', String((this.opts.healthzPortBase ?? 10251) + i), ...extra]));
    });

    for (let i = 1; i <= this.opts.minions; i++) {
      const m = minionLayout(i);
      this.launch(
        this.nodeSpec(`kubelet-${i}`, [
          'kubelet', '--minion', m.name, '--address', m.address, '--pod-cidr', m.podCIDR,
          '--etcd-servers', etcd, '--runtime', this.opts.runtime,
        ]),
      );
      this.launch(
        this.nodeSpec(`proxy-${i}`, ['proxy', '--minion', m.name, '--etcd-servers', etcd]),
      );
    }
    this.writeCliConfig();
  }

  private etcdSpec(): ComponentSpec {
    const client = this.etcdServers[0];
    const peer = `http://127.0.0.1:${this.opts.etcdPort + 1}`;
    return {
      name: 'etcd',
      command: 'etcd',
      args: [
        '--name', 'coxswain', '--data-dir', join(this.opts.dataDir, 'etcd'),
        '--listen-client-urls', client, '--advertise-client-urls', client,
        '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `coxswain=${peer}`, '--log-level', 'warn',
      ],
      logFile: join(this.logDir, 'etcd.log'),
    };
  }

  private nodeSpec(name: string, args: string[]): ComponentSpec {
    return { name, command: process.execPath, args: [MAIN, ...args], logFile: join(this.logDir, `${name}.log`), env: this.opts.env };
  }

  private launch(spec: ComponentSpec): void {
    const proc = new SupervisedProcess(spec);
    this.components.push(proc);
    proc.start();
    log.info({ name: spec.name, pid: proc.pid }, 'started');
  }

  private writeCliConfig(): void {
    const path = this.opts.cliConfigPath ?? defaultCliConfigPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify({ server: this.apiUrl }, null, 2) + '\n');
  }

  /** Stops the minions first (so no pod is rescheduled while we go), then the control plane, then etcd. */
  async stop(): Promise<void> {
    const order = (name: string) => (name.startsWith('kubelet') || name.startsWith('proxy') ? 0 : name === 'etcd' ? 2 : 1);
    for (const rank of [0, 1, 2]) {
      await Promise.all(this.components.filter((c) => order(c.spec.name) === rank).map((c) => c.stop()));
    }
    if (this.opts.runtime === 'docker') await this.removeMinionContainers();
    rmSync(join(this.opts.dataDir, 'up.pid'), { force: true });
  }

  /** Kubelets leave pods running when they stop (a restart adopts them); a cluster going down does not. */
  private async removeMinionContainers(): Promise<void> {
    const docker = new DockerRuntime({ logger: log });
    try {
      for (let i = 1; i <= this.opts.minions; i++) {
        const { name } = minionLayout(i);
        const containers = await docker.listContainers({ [LABELS.minion]: name });
        await Promise.all(containers.map((c) => docker.removeContainer(c.id)));
        await docker.removeNetwork(`coxswain-${name}`);
        log.info({ minion: name, containers: containers.length }, 'removed minion containers and network');
      }
    } catch (err) {
      log.error({ err: (err as Error).message }, 'could not remove minion containers');
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

export async function waitForHttp(url: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = get(url, { timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not become healthy at ${url} within ${timeoutMs / 1000}s`);
    await realClock.sleep(200);
  }
}
