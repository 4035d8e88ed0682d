// `npm run bench -- proxy [--pod | --loopback]`: what the service proxy costs. The proxy (a
// ServiceListener) runs in a process of its own; this process is the client. The same client measures
// the backend directly and through the proxy, alternating, in one run:
//  - throughput: MB/s of a bulk transfer (median of the runs); goal >= 0.8 of direct (issue 17's, through the portal IP);
//  - latency: p99 of small request/response round trips on one connection; goal < 1 ms added.
// Backends: pods, as the issue asks ("next to a direct connection to the pod") whenever a Docker
// engine answers: two containers on a Docker bridge network of the bench's own, busybox httpd serving
// a file from tmpfs (bulk) and redis (PING/PONG round trips); the proxy binds the network's gateway, as
// on a minion. Without an engine (or with --loopback): a Node process on loopback (bulk stream + echo).
// The loopback figure is a floor, not the goal's measure: there the client, the proxy and the backend
// all copy bytes on the same two cores, and a user-space proxy copies each byte twice more than the
// direct path, so the ratio cannot much exceed 0.5-0.6 on 2 cores (see docs/proxy.md).
import { execFile, spawn, type ChildProcess } from 'child_process';
import * as net from 'net';
import * as path from 'path';
import { existsSync } from 'fs';
import { DEFAULT_IPTABLES, ensurePortalRoute, PortalRules, removePortalRoute } from '@coxswain/proxy';

export interface ProxyBenchOptions {
  bulkMiB?: number;
  runs?: number;
  roundTrips?: number;
  /** 'pod': containers (needs Docker); 'loopback': a Node process; default: pods when an engine answers. */
  backend?: 'pod' | 'loopback';
  out?: (line: string) => void;
}

export interface ProxyBenchResult {
  backend: 'loopback' | 'pod';
  /** Whether the proxied runs went through a portal IP (iptables redirect, then the proxy), as pods and host processes reach services. */
  viaPortalIP: boolean;
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

export const THROUGHPUT_GOAL = 0.8;
export const ADDED_P99_GOAL_MS = 1;

interface Addr {
  host: string;
  port: number;
}

/** What the client sends and expects: a bulk download and a ping-pong exchange. */
interface Backend {
  kind: 'loopback' | 'pod';
  bulk: Addr;
  rtt: Addr;
  /** Sent once to start the bulk download; at least `bulkBytes` come back, then the end. */
  bulkRequest: string;
  /** Sent once when the round-trip connection opens. */
  rttHello: string;
  ping: Buffer;
  pongBytes: number;
  /** Where the proxies bind. */
  proxyAddress: string;
  describe: string;
  close(): Promise<void>;
}

// ---- children --------------------------------------------------------------------------------------

// The loopback backend, plain JS: the first byte picks the mode. 'B': stream `bulk` bytes then end.
// 'E': echo everything after it.
const LOOPBACK_BACKEND = `
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

function startProxy(address: string, endpoint: Addr): Promise<{ child: ChildProcess; port: number }> {
  const script = path.join(__dirname, 'proxy-listener-process.js');
  return startChild([script, JSON.stringify({ address, port: 0, endpoints: [{ ip: endpoint.host, port: endpoint.port }] })]);
}

// ---- backends --------------------------------------------------------------------------------------

async function loopbackBackend(bulkBytes: number, messageBytes: number): Promise<Backend> {
  const b = await startChild(['-e', LOOPBACK_BACKEND, String(bulkBytes)]);
  const addr = { host: '127.0.0.1', port: b.port };
  return {
    kind: 'loopback',
    bulk: addr,
    rtt: addr,
    bulkRequest: 'B',
    rttHello: 'E',
    ping: Buffer.alloc(messageBytes, 1),
    pongBytes: messageBytes,
    proxyAddress: '127.0.0.1',
    describe: `a Node process on loopback; ${messageBytes} B echo round trips`,
    close: () => stopChild(b.child),
  };
}

const POD_NETWORK = 'coxswain-bench-proxy';
const POD_SUBNET = '172.30.250.0/24';
/** The bench's own portal network and addresses (never the cluster's 172.30.0.0/24), routed to its own portless bridge. */
const BENCH_PORTAL_NET = '172.30.251.0/24';
const BENCH_PORTAL_IFACE = 'cx-bench-portal';
const BENCH_PORTAL_BULK = '172.30.251.80';
const BENCH_PORTAL_RTT = '172.30.251.79';
const POD_GATEWAY = '172.30.250.1';
const BULK_CONTAINER = 'coxswain-bench-proxy-bulk';
const REDIS_CONTAINER = 'coxswain-bench-proxy-redis';

function docker(args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('docker', args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`docker ${args[0]} failed: ${stderr.trim() || err.message}`)) : resolve(stdout.trim()),
    ),
  );
}

function dockerAnswers(): Promise<boolean> {
  return docker(['info', '--format', '{{.ServerVersion}}'], 10_000).then(
    () => true,
    () => false,
  );
}

async function removePodLeftovers(): Promise<void> {
  await docker(['rm', '-f', BULK_CONTAINER, REDIS_CONTAINER]).catch(() => undefined);
  await docker(['network', 'rm', POD_NETWORK]).catch(() => undefined);
}

async function podBackend(bulkBytes: number): Promise<Backend> {
  await docker(['info', '--format', '{{.ServerVersion}}']).catch((e: Error) => {
    throw new Error(`--pod needs a Docker engine: ${e.message}`);
  });
  // The images are built locally (no registry): the same recipes the e2e suites use.
  const build = path.resolve(__dirname, '../../../e2e/images/build.sh');
  await new Promise<void>((resolve, reject) =>
    execFile('bash', [build, 'busybox', 'redis'], { timeout: 10 * 60_000 }, (err, _o, stderr) =>
      err ? reject(new Error(`image build failed: ${stderr}`)) : resolve(),
    ),
  );
  await removePodLeftovers();
  try {
    await docker(['network', 'create', '--subnet', POD_SUBNET, '--gateway', POD_GATEWAY, POD_NETWORK]);
    const mib = Math.ceil(bulkBytes / (1024 * 1024));
    await docker([
      'run', '-d', '--name', BULK_CONTAINER, '--network', POD_NETWORK, '--tmpfs', `/www:size=${mib + 16}m`, 'coxswain/busybox',
      'sh', '-c', `dd if=/dev/zero of=/www/bulk bs=1048576 count=${mib} 2>/dev/null && exec httpd -f -p 80 -h /www`,
    ]);
    await docker(['run', '-d', '--name', REDIS_CONTAINER, '--network', POD_NETWORK, 'coxswain/redis']);
    const ipOf = (name: string) => docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${POD_NETWORK}").IPAddress}}`, name]);
    const bulk = { host: await ipOf(BULK_CONTAINER), port: 80 };
    const rtt = { host: await ipOf(REDIS_CONTAINER), port: 6379 };
    await waitForPort(bulk);
    await waitForPort(rtt);
    return {
      kind: 'pod',
      bulk,
      rtt,
      bulkRequest: 'GET /bulk HTTP/1.0\r\n\r\n',
      rttHello: '',
      ping: Buffer.from('PING\r\n'),
      pongBytes: '+PONG\r\n'.length,
      proxyAddress: POD_GATEWAY,
      describe: `busybox httpd (bulk, tmpfs) and redis (PING round trips) in containers on ${POD_SUBNET}; proxy on the gateway`,
      close: removePodLeftovers,
    };
  } catch (e) {
    await removePodLeftovers();
    throw e;
  }
}

async function waitForPort(addr: Addr, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(addr.port, addr.host, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${addr.host}:${addr.port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- measurements ----------------------------------------------------------------------------------

/** Reads a bulk download to its end; MB/s (10^6 bytes per second). */
function bulkRun(addr: Addr, request: string, atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let got = 0;
    const s = net.connect(addr.port, addr.host, () => s.write(request));
    s.on('data', (d) => (got += d.length));
    s.on('end', () => {
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      if (got < atLeast) reject(new Error(`bulk transfer from ${addr.host}:${addr.port} got ${got} of ${atLeast} bytes`));
      else resolve(got / 1e6 / secs);
    });
    s.on('error', reject);
  });
}

/** Ping-pong on one connection; the round-trip times in ms (after a warm-up). */
function roundTrips(addr: Addr, b: Backend, count: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const warmup = Math.min(500, Math.floor(count / 10));
    const times: number[] = [];
    let pending = 0;
    let sentAt = 0n;
    let i = 0;
    const s = net.connect(addr.port, addr.host, () => {
      s.setNoDelay(true);
      if (b.rttHello) s.write(b.rttHello);
      send();
    });
    const send = () => {
      pending = b.pongBytes;
      sentAt = process.hrtime.bigint();
      s.write(b.ping);
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
  const runs = opts.runs ?? 5;
  const count = opts.roundTrips ?? 5000;
  const out = opts.out ?? ((l: string) => process.stdout.write(l + '\n'));

  const kind = opts.backend ?? ((await dockerAnswers()) ? 'pod' : 'loopback');
  if (kind === 'loopback' && !opts.backend) {
    out('proxy bench: no Docker engine answers; measuring against a loopback process instead of pods (a floor: see docs/proxy.md)');
  }
  const backend = kind === 'pod' ? await podBackend(bulkBytes) : await loopbackBackend(bulkBytes, 64);
  const proxies: Array<{ child: ChildProcess; port: number }> = [];
  let portal: PortalRules | undefined;
  try {
    const bulkProxy = await startProxy(backend.proxyAddress, backend.bulk);
    proxies.push(bulkProxy);
    const rttProxy = await startProxy(backend.proxyAddress, backend.rtt);
    proxies.push(rttProxy);
    let proxiedBulk = { host: backend.proxyAddress, port: bulkProxy.port };
    let proxiedRtt = { host: backend.proxyAddress, port: rttProxy.port };
    // With pods and iptables, the proxied path is the one clients take: a portal IP, redirected by a
    // bench-only nat chain to the proxy (a host process: the OUTPUT hook).
    if (backend.kind === 'pod' && existsSync(DEFAULT_IPTABLES)) {
      portal = new PortalRules({ minion: 'bench', podCIDR: POD_SUBNET });
      await portal.check();
      await ensurePortalRoute(BENCH_PORTAL_NET, BENCH_PORTAL_IFACE);
      await portal.sync([
        { portalIP: BENCH_PORTAL_BULK, port: 80, protocol: 'TCP', proxyAddress: backend.proxyAddress, proxyPort: bulkProxy.port },
        { portalIP: BENCH_PORTAL_RTT, port: 6379, protocol: 'TCP', proxyAddress: backend.proxyAddress, proxyPort: rttProxy.port },
      ]);
      proxiedBulk = { host: BENCH_PORTAL_BULK, port: 80 };
      proxiedRtt = { host: BENCH_PORTAL_RTT, port: 6379 };
      out(`proxied runs go through portal IPs ${BENCH_PORTAL_BULK}:80 and ${BENCH_PORTAL_RTT}:6379 (iptables redirect to the proxy)`);
    }
    out(`proxy bench: ${runs} x ${bulkBytes / 1024 / 1024} MiB bulk, ${count} round trips; backend: ${backend.describe}`);
    out('client, proxy and backend are separate processes; direct and proxied runs alternate');

    // Warm both paths up (JIT, socket buffers, page cache) before measuring.
    await bulkRun(backend.bulk, backend.bulkRequest, bulkBytes);
    await bulkRun(proxiedBulk, backend.bulkRequest, bulkBytes);
    const direct: number[] = [];
    const proxied: number[] = [];
    for (let r = 0; r < runs; r++) {
      direct.push(await bulkRun(backend.bulk, backend.bulkRequest, bulkBytes));
      proxied.push(await bulkRun(proxiedBulk, backend.bulkRequest, bulkBytes));
    }
    const directRtt = await roundTrips(backend.rtt, backend, count);
    const proxiedRttTimes = await roundTrips(proxiedRtt, backend, count);

    const res: ProxyBenchResult = {
      backend: backend.kind,
      viaPortalIP: portal !== undefined,
      directMBps: median(direct),
      proxiedMBps: median(proxied),
      throughputRatio: median(proxied) / median(direct),
      directP50Ms: percentile(directRtt, 50),
      proxiedP50Ms: percentile(proxiedRttTimes, 50),
      directP99Ms: percentile(directRtt, 99),
      proxiedP99Ms: percentile(proxiedRttTimes, 99),
      addedP99Ms: percentile(proxiedRttTimes, 99) - percentile(directRtt, 99),
      throughputGoalMet: false,
      latencyGoalMet: false,
    };
    res.throughputGoalMet = res.throughputRatio >= THROUGHPUT_GOAL;
    res.latencyGoalMet = res.addedP99Ms < ADDED_P99_GOAL_MS;

    const row = (label: string, d: string, p: string, vs: string, goal: string) =>
      out(`${label.padEnd(18)}${d.padStart(10)}${p.padStart(10)}${vs.padStart(15)}   ${goal}`);
    const signed = (v: number) => `${v >= 0 ? '+' : '-'}${Math.abs(v).toFixed(3)}`;
    row('', 'direct', portal ? 'portal IP' : 'proxied', 'proxy/direct', 'goal');
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
    await portal?.remove();
    if (portal) await removePortalRoute(BENCH_PORTAL_IFACE);
    for (const p of proxies) await stopChild(p.child);
    await backend.close();
  }
}

/** Entry for the bench runner: `npm run bench -- proxy [--quick] [--pod | --loopback] [--bulk-mib N] [--runs N] [--round-trips N]`. */
export async function proxyBench(argv: string[] = []): Promise<ProxyBenchResult> {
  const flag = (name: string): number | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const quick = argv.includes('--quick');
  return runProxyBench({
    backend: argv.includes('--pod') ? 'pod' : argv.includes('--loopback') ? 'loopback' : undefined,
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
