// `npm run bench -- proxy`: what the service proxy costs. One backend process serves a bulk stream and
// an echo; the proxy (a ServiceListener) runs in a process of its own; this process is the client.
// The same client measures the backend directly and through the proxy, alternating, in one run:
//  - throughput: MB/s of a bulk transfer (median of the runs); goal >= 0.7 of direct;
//  - latency: p99 of small request/response round trips on one connection; goal < 1 ms added.
import { spawn, type ChildProcess } from 'child_process';
import * as net from 'net';
import * as path from 'path';

export interface ProxyBenchOptions {
  bulkMiB?: number;
  runs?: number;
  roundTrips?: number;
  messageBytes?: number;
  out?: (line: string) => void;
}

export interface ProxyBenchResult {
  directMBps: number;
  proxiedMBps: number;
  throughputRatio: number;
  directP50Ms: number;
  proxiedP50Ms: number;
  directP99Ms: number;
  proxiedP99Ms: number;
  addedP99Ms: number;
  throughputGoalMet: boolean;
  latencyGoalMet: boolean;
}

export const THROUGHPUT_GOAL = 0.7;
export const ADDED_P99_GOAL_MS = 1;

// The backend, plain JS: the first byte picks the mode. 'B': stream `bulk` bytes then end.
// 'E': echo everything after it.
const BACKEND = `
const net = require('net');
const bulk = Number(process.argv[1]);
const block = Buffer.alloc(256 * 1024, 7);
const server = net.createServer((s) => {
  s.setNoDelay(true);
  s.on('error', () => {});
  s.once('data', (first) => {
    if (first[0] === 66) {
      let sent = 0;
      const pump = () => {
        while (sent < bulk) {
          const n = Math.min(block.length, bulk - sent);
          sent += n;
          if (!s.write(n === block.length ? block : block.subarray(0, n))) return s.once('drain', pump);
        }
        s.end();
      };
      pump();
    } else {
      if (first.length > 1) s.write(first.subarray(1));
      s.pipe(s);
    }
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
process.stdin.on('end', () => process.exit(0)).resume();
`;

function startChild(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  // Quiet logs: the child's stdout carries the `{"port":N}` line this waits for.
  const env = { ...process.env, COXSWAIN_LOG_LEVEL: 'warn' };
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'], env });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench child exited early (${code}): ${args[0]}`)));
    child.stdout!.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /^\{"port":(\d+)\}$/.exec(line);
        if (m) resolve({ child, port: Number(m[1]) });
      }
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.stdin?.end();
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
}

/** Reads a bulk stream; MB/s (10^6 bytes per second). */
function bulkRun(port: number, expected: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let got = 0;
    const s = net.connect(port, '127.0.0.1', () => s.write('B'));
    s.on('data', (d) => (got += d.length));
    s.on('end', () => {
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      if (got !== expected) reject(new Error(`bulk transfer got ${got} of ${expected} bytes`));
      else resolve(got / 1e6 / secs);
    });
    s.on('error', reject);
  });
}

/** Ping-pong of `size`-byte messages on one connection; the round-trip times in ms (after warm-up). */
function roundTrips(port: number, count: number, size: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const msg = Buffer.alloc(size, 1);
    const warmup = Math.min(500, Math.floor(count / 10));
    const times: number[] = [];
    let pending = 0;
    let sentAt = 0n;
    let i = 0;
    const s = net.connect(port, '127.0.0.1', () => {
      s.setNoDelay(true);
      s.write('E');
      send();
    });
    const send = () => {
      pending = size;
      sentAt = process.hrtime.bigint();
      s.write(msg);
    };
    s.on('data', (d) => {
      pending -= d.length;
      if (pending > 0) return;
      const ms = Number(process.hrtime.bigint() - sentAt) / 1e6;
      if (i++ >= warmup) times.push(ms);
      if (times.length >= count) {
        s.destroy();
        resolve(times);
      } else send();
    });
    s.on('error', reject);
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function median(values: number[]): number {
  return percentile(values, 50);
}

export async function runProxyBench(opts: ProxyBenchOptions = {}): Promise<ProxyBenchResult> {
  const bulkBytes = (opts.bulkMiB ?? 512) * 1024 * 1024;
  const runs = opts.runs ?? 3;
  const count = opts.roundTrips ?? 5000;
  const size = opts.messageBytes ?? 64;
  const out = opts.out ?? ((l: string) => process.stdout.write(l + '\n'));

  const backend = await startChild(['-e', BACKEND, String(bulkBytes)]);
  const listenerScript = path.join(path.dirname(require.resolve('@coxswain/proxy')), 'testing', 'listener-process.js');
  let proxy: { child: ChildProcess; port: number } | undefined;
  try {
    proxy = await startChild([
      listenerScript,
      JSON.stringify({ address: '127.0.0.1', port: 0, endpoints: [{ ip: '127.0.0.1', port: backend.port }] }),
    ]);
    out(`proxy bench: ${runs} x ${bulkBytes / 1024 / 1024} MiB bulk, ${count} round trips of ${size} B; client, proxy and backend in separate processes`);
    // Warm both paths up (JIT, socket buffers) before measuring.
    await bulkRun(backend.port, bulkBytes);
    await bulkRun(proxy.port, bulkBytes);

    const direct: number[] = [];
    const proxied: number[] = [];
    for (let r = 0; r < runs; r++) {
      direct.push(await bulkRun(backend.port, bulkBytes));
      proxied.push(await bulkRun(proxy.port, bulkBytes));
    }
    const directRtt = await roundTrips(backend.port, count, size);
    const proxiedRtt = await roundTrips(proxy.port, count, size);

    const res: ProxyBenchResult = {
      directMBps: median(direct),
      proxiedMBps: median(proxied),
      throughputRatio: median(proxied) / median(direct),
      directP50Ms: percentile(directRtt, 50),
      proxiedP50Ms: percentile(proxiedRtt, 50),
      directP99Ms: percentile(directRtt, 99),
      proxiedP99Ms: percentile(proxiedRtt, 99),
      addedP99Ms: percentile(proxiedRtt, 99) - percentile(directRtt, 99),
      throughputGoalMet: false,
      latencyGoalMet: false,
    };
    res.throughputGoalMet = res.throughputRatio >= THROUGHPUT_GOAL;
    res.latencyGoalMet = res.addedP99Ms < ADDED_P99_GOAL_MS;

    const row = (label: string, d: string, p: string, vs: string, goal: string) =>
      out(`${label.padEnd(18)}${d.padStart(10)}${p.padStart(10)}${vs.padStart(15)}   ${goal}`);
    const signed = (v: number) => `${v >= 0 ? '+' : '-'}${Math.abs(v).toFixed(3)}`;
    row('', 'direct', 'proxied', 'proxy/direct', 'goal');
    row(
      'throughput MB/s',
      res.directMBps.toFixed(0),
      res.proxiedMBps.toFixed(0),
      res.throughputRatio.toFixed(2),
      `>= ${THROUGHPUT_GOAL} ${res.throughputGoalMet ? 'MET' : 'MISSED'}`,
    );
    row('p50 latency ms', res.directP50Ms.toFixed(3), res.proxiedP50Ms.toFixed(3), signed(res.proxiedP50Ms - res.directP50Ms), '');
    row(
      'p99 latency ms',
      res.directP99Ms.toFixed(3),
      res.proxiedP99Ms.toFixed(3),
      signed(res.addedP99Ms),
      `< +${ADDED_P99_GOAL_MS} ms ${res.latencyGoalMet ? 'MET' : 'MISSED'}`,
    );
    out(`runs MB/s: direct [${direct.map((v) => v.toFixed(0)).join(', ')}], proxied [${proxied.map((v) => v.toFixed(0)).join(', ')}]`);
    return res;
  } finally {
    if (proxy) await stopChild(proxy.child);
    await stopChild(backend.child);
  }
}

/** Entry for the bench runner: `npm run bench -- proxy [--quick] [--bulk-mib N] [--runs N] [--round-trips N]`. */
export async function proxyBench(argv: string[] = []): Promise<ProxyBenchResult> {
  const flag = (name: string): number | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const quick = argv.includes('--quick');
  return runProxyBench({
    bulkMiB: flag('bulk-mib') ?? (quick ? 128 : undefined),
    runs: flag('runs') ?? (quick ? 2 : undefined),
    roundTrips: flag('round-trips') ?? (quick ? 2000 : undefined),
  });
}

if (require.main === module) {
  proxyBench(process.argv.slice(2)).then(
    (r) => process.exit(r.throughputGoalMet && r.latencyGoalMet ? 0 : 1),
    (e) => {
      console.error(e);
      process.exit(2);
    },
  );
}
