// A real 3-member etcd cluster on loopback: member i listens on its own address 127.0.0.<base+i>
// (client and peer ports picked free there), each with its own data dir. A member can be SIGKILLed
// and started again on the same address, ports and data dir, as a crashed machine that reboots.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { eventually, freePorts, GiveUp, startRetryingTakenPorts } from '@coxswain/testing';

export interface EtcdMember {
  name: string;
  address: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
}

/** GET /health of one member: {"health":"true"} once it is part of a cluster with a leader. */
export function memberHealthy(clientUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${clientUrl}/health`, { timeout: 1000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export class EtcdCluster {
  private readonly procs = new Map<string, ChildProcess>();
  private readonly logs = new Map<string, string>();

  private constructor(
    readonly members: EtcdMember[],
    private readonly root: string,
  ) {}

  /**
   * Starts `size` members on 127.0.0.<firstOctet>.. and waits until every one is healthy. A port
   * taken between its pick and etcd's bind (another suite's server listening on every address)
   * means new ports and a new try, up to three.
   */
  static async start(size = 3, firstOctet = 21, timeoutMs = 30_000): Promise<EtcdCluster> {
    return startRetryingTakenPorts(() => EtcdCluster.startOnce(size, firstOctet, timeoutMs));
  }

  private static async startOnce(size: number, firstOctet: number, timeoutMs: number): Promise<EtcdCluster> {
    const root = mkdtempSync(path.join(os.tmpdir(), 'coxswain-etcd-cluster-'));
    const members: EtcdMember[] = [];
    for (let i = 0; i < size; i++) {
      const address = `127.0.0.${firstOctet + i}`;
      const [client, peer] = await freePorts(address, 2);
      members.push({
        name: `member-${i + 1}`,
        address,
        clientUrl: `http://${address}:${client}`,
        peerUrl: `http://${address}:${peer}`,
        dataDir: path.join(root, `member-${i + 1}`),
      });
    }
    const cluster = new EtcdCluster(members, root);
    try {
      for (const m of members) cluster.spawn(m);
      await Promise.all(members.map((m) => cluster.waitHealthy(m, timeoutMs)));
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  get clientUrls(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  member(name: string): EtcdMember {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no etcd member ${name}`);
    return m;
  }

  private spawn(m: EtcdMember): void {
    const initialCluster = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    // The initial-cluster flags only matter for the first start; a restart reads the data dir.
    const child = spawn(
      'etcd',
      [
        '--name', m.name,
        '--data-dir', m.dataDir,
        '--listen-client-urls', m.clientUrl,
        '--advertise-client-urls', m.clientUrl,
        '--listen-peer-urls', m.peerUrl,
        '--initial-advertise-peer-urls', m.peerUrl,
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', `coxswain-e2e-${path.basename(this.root)}`,
        // Loopback: a short heartbeat and election make failover quick.
        '--heartbeat-interval', '50',
        '--election-timeout', '500',
        '--logger', 'zap',
        '--log-level', 'warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.logs.set(m.name, '');
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => this.logs.set(m.name, (this.logs.get(m.name)! + c).slice(-8000)));
    this.procs.set(m.name, child);
  }

  async waitHealthy(m: EtcdMember, timeoutMs = 30_000): Promise<void> {
    try {
      await eventually(
        async () => {
          if (await memberHealthy(m.clientUrl)) return true;
          const p = this.procs.get(m.name);
          if (!p || p.exitCode !== null || p.signalCode !== null) throw new GiveUp(`etcd ${m.name} exited: ${this.logs.get(m.name)}`);
          return false;
        },
        timeoutMs,
        `etcd ${m.name} to report healthy`,
        100,
      );
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      throw new Error(`etcd ${m.name} not healthy within ${timeoutMs} ms: ${this.logs.get(m.name)}`);
    }
  }

  private async signal(name: string, sig: NodeJS.Signals): Promise<void> {
    const p = this.procs.get(name);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(sig);
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL: a crash; the data dir stays. */
  kill(name: string): Promise<void> {
    return this.signal(name, 'SIGKILL');
  }

  /** Starts a killed member again on the same address, ports and data dir. */
  async restart(name: string, timeoutMs = 30_000): Promise<void> {
    const m = this.member(name);
    await this.signal(name, 'SIGKILL');
    this.spawn(m);
    await this.waitHealthy(m, timeoutMs);
  }

  log(name: string): string {
    return this.logs.get(name) ?? '';
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => this.signal(m.name, 'SIGTERM')));
    rmSync(this.root, { recursive: true, force: true });
  }
}
