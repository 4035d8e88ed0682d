// A real API server on a real etcd for the CLI's tests, and a way to run kubecfg in-process against
// it with captured stdout/stderr, given stdin, environment and working directory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { CODECS, createApiServer } from '@coxswain/api';
import type { MetricsSource } from '@coxswain/client';
import type { ApiServer } from '@coxswain/api';
import { DEFAULT_PORTAL_NET, openRegistry } from '@coxswain/registry';
import { startEtcd } from '@coxswain/testing';
import type { EtcdHarness } from '@coxswain/testing';
import type { ObjectStore } from '@coxswain/objects';
import type { CliIo } from '../cli-io';
import { runCli, RunCliDeps } from '../run-cli';

export const SEED_EXAMPLES = path.resolve(__dirname, '../../../../examples/seed-guestbook');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  signal?: AbortSignal;
  /** Called with each chunk written to stdout, as it is written. */
  onStdout?: (chunk: string) => void;
  deps?: RunCliDeps;
}

export interface ClusterHarness {
  url: string;
  store: ObjectStore;
  etcd: EtcdHarness;
  /** A HOME of its own, so no real ~/.coxswain/config.json is read. */
  home: string;
  kubecfg(args: string[], opts?: RunOptions): Promise<CliResult>;
  stop(): Promise<void>;
}

export function captureIo(opts: RunOptions, defaults: { env: Record<string, string | undefined>; cwd: string }) {
  const out: string[] = [];
  const err: string[] = [];
  const stdin = new PassThrough();
  stdin.end(opts.stdin ?? '');
  const io: CliIo = {
    stdout: {
      write: (s: string) => {
        out.push(s);
        opts.onStdout?.(s);
        return true;
      },
    },
    stderr: { write: (s: string) => err.push(s) },
    stdin,
    env: { ...defaults.env, ...opts.env },
    cwd: opts.cwd ?? defaults.cwd,
    signal: opts.signal,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

/** `metrics`: what the API server serves as metrics.k8s.io (none: that group is not served). */
export async function startClusterHarness(opts: { metrics?: MetricsSource } = {}): Promise<ClusterHarness> {
  const etcd = await startEtcd();
  // As the API server runs it: services take portal IPs, which kubecfg prints.
  const store = openRegistry(etcd.endpoints, { portalNet: DEFAULT_PORTAL_NET });
  let server: ApiServer;
  try {
    server = createApiServer({ store, codecs: CODECS, address: '127.0.0.1', port: 0, heartbeatMs: 1000, drainTimeoutMs: 2000, metrics: opts.metrics });
    await server.listen();
  } catch (e) {
    await store.close();
    await etcd.stop();
    throw e;
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kubecfg-test-home-'));
  const url = server.url;
  return {
    url,
    store,
    etcd,
    home,
    async kubecfg(args, opts = {}) {
      const cap = captureIo(opts, { env: { HOME: home, KUBE_SERVER: url, PATH: process.env.PATH }, cwd: SEED_EXAMPLES });
      const code = await runCli(args, cap.io, opts.deps);
      return { code, stdout: cap.stdout(), stderr: cap.stderr() };
    },
    async stop() {
      await server.close();
      await store.close();
      await etcd.stop();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * A printed table split into rows of cells, cutting every line at the columns' start offsets in the
 * header line (so an empty cell stays an empty string).
 */
export function tableCells(text: string): string[][] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const starts: number[] = [];
  const re = /(^|\s{2,})(\S)/g;
  for (let m = re.exec(lines[0]); m; m = re.exec(lines[0])) starts.push(m.index + m[1].length);
  return lines.map((line) => starts.map((st, i) => line.slice(st, i + 1 < starts.length ? starts[i + 1] : undefined).trim()));
}
