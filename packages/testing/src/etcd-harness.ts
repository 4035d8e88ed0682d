// A real etcd for tests and benchmarks: spawned from PATH on free loopback ports with a fresh data
// dir, health-checked, and removed on stop. Never a mock: the store's guarantees are etcd's.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import type { Etcd3 } from 'etcd3';
import { createEtcdClient, EtcdClientOptions } from '@coxswain/store';
import { ensureCertificateAuthority, etcdGoEnv, etcdServerTLSFlags, issueEtcdClient, type CertificateAuthority, type EtcdTLS } from '@coxswain/process';
import { eventually, GiveUp } from './eventually';
import { freePorts, startRetryingTakenPorts } from './free-ports';

export interface EtcdHarnessOptions {
  /** How long to wait for etcd to report healthy. Default 20 s. */
  startTimeoutMs?: number;
  /** Options for clients made by `client()`. */
  clientOptions?: EtcdClientOptions;
  /** Extra etcd flags, e.g. ['--auto-compaction-retention', '1']. */
  extraArgs?: string[];
  /** Serve https to client certificates only (a fresh CA); client() then presents one. Default plain http. */
  tls?: boolean;
}

/** The CA of a TLS harness, and a way to issue client certificates from it. */
export interface EtcdHarnessTLS {
  ca: CertificateAuthority;
  /** The certificate client() presents (CN system:coxswain:test). */
  client: EtcdTLS;
  /** Another client certificate from this CA, e.g. one per component. */
  issueClient(name: string, commonName: string): EtcdTLS;
}

export interface EtcdHarness {
  endpoints: string[];
  dataDir: string;
  /** With `tls: true`: the CA and client certificates (the files live until stop()). */
  tls?: EtcdHarnessTLS;
  /** A new client on this etcd; closed by stop(). */
  client(): Etcd3;
  /** SIGTERM, wait, close clients, delete the data dir. */
  stop(): Promise<void>;
  /** SIGKILL (a crash); the data dir stays so restart() brings the same data back. */
  kill(): Promise<void>;
  /** Stop (if running) and start again on the same ports and data dir. */
  restart(): Promise<void>;
  /** Compact history up to `revision` (default: the current revision). Returns the revision compacted to. */
  compact(revision?: string | number): Promise<string>;
}

const NOT_INSTALLED = 'etcd not found on PATH: install it with `apt-get install -y etcd-server`';
const IN_UNIT_PROJECT =
  'startEtcd() in the unit project, which runs without etcd: a test that needs etcd is an integration test, name its file *.etcd.test.ts';

function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function healthy(clientUrl: string, tls?: EtcdTLS): Promise<boolean> {
  return new Promise((resolve) => {
    const onResponse = (res: http.IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 && JSON.parse(body).health === 'true');
        } catch {
          resolve(false);
        }
      });
    };
    const url = `${clientUrl}/health`;
    const req = tls
      ? https.get(url, { timeout: 1000, ca: fs.readFileSync(tls.caFile), cert: fs.readFileSync(tls.certFile), key: fs.readFileSync(tls.keyFile) }, onResponse)
      : http.get(url, { timeout: 1000 }, onResponse);
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

// Children still alive when the test process exits (a test that forgot stop()) are killed with it.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

class Harness implements EtcdHarness {
  readonly endpoints: string[];
  readonly tls?: EtcdHarnessTLS;
  private readonly tlsFlags: string[] = [];
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private stderrTail = '';
  private readonly clients: Etcd3[] = [];

  constructor(
    private readonly binary: string,
    readonly dataDir: string,
    private readonly clientPort: number,
    private readonly peerPort: number,
    private readonly opts: EtcdHarnessOptions,
  ) {
    this.endpoints = [`${opts.tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`];
    if (opts.tls) {
      // Beside the data dir, so that a restart keeps them and stop() removes both.
      const dir = `${dataDir}-pki`;
      const ca = ensureCertificateAuthority(dir, 'coxswain-test-etcd-ca');
      this.tlsFlags = etcdServerTLSFlags(ca, dir, ['127.0.0.1', 'localhost']);
      const issueClient = (name: string, commonName: string) => issueEtcdClient(ca, dir, name, commonName);
      this.tls = { ca, client: issueClient('test', 'system:coxswain:test'), issueClient };
    }
  }

  async start(): Promise<void> {
    const clientUrl = this.endpoints[0];
    const peerUrl = `http://127.0.0.1:${this.peerPort}`;
    const args = [
      '--name', 'coxswain-test',
      '--data-dir', this.dataDir,
      '--listen-client-urls', clientUrl,
      '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `coxswain-test=${peerUrl}`,
      '--initial-cluster-state', 'new',
      '--logger', 'zap',
      '--log-level', 'error',
      '--log-outputs', 'stderr',
      // Fewer raft entries kept in memory between snapshots; tests and benches write a lot.
      '--snapshot-count', '10000',
      '--quota-backend-bytes', String(4 * 1024 * 1024 * 1024),
      ...this.tlsFlags,
      ...(this.opts.extraArgs ?? []),
    ];
    this.stderrTail = '';
    const child = spawn(this.binary, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...etcdGoEnv() } });
    this.child = child;
    live.add(child);
    let exitInfo: string | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = `code ${code}, signal ${signal}`;
        live.delete(child);
        resolve();
      });
      child.once('error', (err) => {
        exitInfo = String(err);
        live.delete(child);
        resolve();
      });
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });

    const timeoutMs = this.opts.startTimeoutMs ?? 20_000;
    try {
      await eventually(
        () => {
          if (exitInfo) throw new GiveUp(`etcd exited during start (${exitInfo}): ${this.stderrTail.trim()}`);
          return healthy(clientUrl, this.tls?.client);
        },
        timeoutMs,
        'etcd to report healthy',
      );
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      await this.terminate('SIGKILL');
      throw new Error(`etcd did not become healthy within ${timeoutMs} ms: ${this.stderrTail.trim()}`);
    }
  }

  client(): Etcd3 {
    const c = createEtcdClient(this.endpoints, { tls: this.tls?.client, ...this.opts.clientOptions });
    this.clients.push(c);
    return c;
  }

  private async terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    for (const c of this.clients.splice(0)) c.close();
    await this.terminate('SIGTERM');
    fs.rmSync(this.dataDir, { recursive: true, force: true });
    fs.rmSync(`${this.dataDir}-pki`, { recursive: true, force: true });
  }

  async kill(): Promise<void> {
    await this.terminate('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.terminate('SIGTERM');
    await this.start();
  }

  async compact(revision?: string | number): Promise<string> {
    const c = createEtcdClient(this.endpoints, { tls: this.tls?.client });
    try {
      let rev = revision === undefined ? undefined : String(revision);
      if (rev === undefined) {
        const res = await c.kv.range({ key: Buffer.from('\0'), limit: '1', keys_only: true });
        rev = res.header.revision;
      }
      await c.kv.compact({ revision: rev, physical: true });
      return rev;
    } finally {
      c.close();
    }
  }
}

/** Starts a fresh single-member etcd on free loopback ports. */
export async function startEtcd(opts: EtcdHarnessOptions = {}): Promise<EtcdHarness> {
  if (process.env.COXSWAIN_UNIT_PROJECT) throw new Error(IN_UNIT_PROJECT); // set by unit-project-setup.ts
  const binary = findOnPath('etcd');
  if (!binary) throw new Error(NOT_INSTALLED);
  return startRetryingTakenPorts(async () => {
    const [clientPort, peerPort] = await freePorts('127.0.0.1', 2);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coxswain-etcd-'));
    const harness = new Harness(binary, dataDir, clientPort, peerPort, opts);
    try {
      await harness.start();
      return harness;
    } catch (err) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(`${dataDir}-pki`, { recursive: true, force: true });
      throw err;
    }
  });
}
