// Simulated hosts for the many-machines e2e: each a network namespace of its own (cxh-N, address
// 10.213.0.(10+N) on eth0), each running its own Docker engine (own data-root, exec-root and socket
// /run/cxh-N/docker.sock), with the test's images loaded into it (docker save | docker load).
// Processes run inside a host with nsenter --net: `ip netns exec` would remount /sys, and dockerd
// then fails with "Devices cgroup isn't mounted".
// The wire between them is a bridge (cxhbr0) in a namespace of its own (cxh-wire), as a switch is a
// box of its own: in the root namespace the bridge's frames went through the root's iptables
// (br_netfilter, switched on machine-wide by Docker) and the main engine's FORWARD chain, a cost per
// packet no real wire has. In cxh-wire the bridge filters nothing (bridge-nf-call-* is per
// namespace and set to 0 there). The root namespace is on the wire too, as 10.213.0.1 on veth
// cxhv0, so the test's control plane and the hosts reach each other.
// stop() removes everything (processes, containers, engines, their mounts, namespaces, links);
// start sweeps what a crashed earlier run left.
import { ChildProcess, ExecFileException, execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { lockMachineWide } from './dir-lock';
import { eventually } from './eventually';
import { processesNaming } from './process-leftovers';

export const BRIDGE = 'cxhbr0';
/** The namespace holding the bridge: the simulated network itself. */
const WIRE_NS = 'cxh-wire';
/** The root namespace's own address on the wire, on the veth cxhv0. */
const ROOT_ADDRESS = '10.213.0.1';
const RUN = '/run';
const STATE = '/var/lib/coxswain-e2e-hosts';

export interface SimHost {
  index: number;
  ns: string;
  address: string;
  dockerEndpoint: string;
  /** Where this host's processes log, and a scratch dir of its own. */
  dir: string;
}

function run(file: string, args: readonly string[], timeoutMs = 60_000, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, [...args], { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${file} ${args.join(' ')}: ${failureOf(err, timeoutMs)}${stderr ? `: ${stderr.trim()}` : ''}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}
/** How a run ended: a timeout, an exit code or a signal (stderr alone may hold only a warning). */
function failureOf(err: ExecFileException, timeoutMs: number): string {
  if (err.killed && err.signal === 'SIGTERM') return `no answer within ${timeoutMs / 1000} s`;
  if (typeof err.code === 'number') return `exit ${err.code}`;
  return err.signal ? `killed by ${err.signal}` : err.message;
}
const quiet = (file: string, args: string[]) => run(file, args).catch(() => '');

export class SimHosts {
  private readonly procs: ChildProcess[] = [];
  /** The dockerds among procs: the sweep stops them after removing their containers. */
  private readonly engines = new Set<ChildProcess>();
  private constructor(
    readonly hosts: SimHost[],
    private readonly unlock: () => void,
  ) {}

  /** `count` hosts, their engines up and `images` loaded into each. */
  static async start(count: number, images: readonly string[]): Promise<SimHosts> {
    // One set of simulated hosts per machine at a time: the sweep would tear down another run's.
    const unlock = await lockMachineWide('coxswain-sim-hosts.lock', 'the simulated hosts');
    return SimHosts.startLocked(count, images, unlock).catch((e: unknown) => {
      unlock();
      throw e;
    });
  }

  private static async startLocked(count: number, images: readonly string[], unlock: () => void): Promise<SimHosts> {
    await sweep();
    await plumbWire();
    const hosts = Array.from({ length: count }, (_, i): SimHost => {
      const index = i + 1;
      return { index, ns: `cxh-${index}`, address: `10.213.0.${10 + index}`, dockerEndpoint: `unix://${RUN}/cxh-${index}/docker.sock`, dir: path.join(STATE, `cxh-${index}`) };
    });
    const sim = new SimHosts(hosts, unlock);
    try {
      for (const h of hosts) await sim.plumb(h);
      await Promise.all(hosts.map((h) => sim.startEngine(h)));
      const archive = path.join(STATE, 'images.tar');
      await run('docker', ['save', '-o', archive, ...images], 5 * 60_000);
      await Promise.all(hosts.map((h) => run('docker', ['-H', h.dockerEndpoint, 'load', '-i', archive], 5 * 60_000)));
      rmSync(archive, { force: true });
    } catch (e) {
      await sim.stop();
      throw e;
    }
    return sim;
  }

  /** Runs `argv` inside host `h`'s namespace (stdin: `input`) and returns its stdout. */
  exec(h: SimHost, argv: readonly string[], timeoutMs = 60_000, input?: string): Promise<string> {
    return inNetns(h.ns, argv, timeoutMs, input);
  }

  /**
   * Starts a long-running process inside host `h` (output to <dir>/<name>.log); stop() kills it.
   * The log file itself is the child's stdout and stderr, not a pipe to this process: a descendant
   * that outlives it (a container shim of its engine) cannot then hold a pipe of the test runner open.
   */
  spawn(h: SimHost, name: string, argv: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const out = openSync(path.join(h.dir, `${name}.log`), 'a');
    try {
      const child = spawn('nsenter', [`--net=${netnsPath(h.ns)}`, ...argv], { env: { ...process.env, ...env }, stdio: ['ignore', out, out], detached: true });
      this.procs.push(child);
      return child;
    } finally {
      closeSync(out);
    }
  }

  /** SIGKILLs every coxswain process inside host `h`, and the etcd member a join runs (its engine and containers stay). */
  async killCoxswain(h: SimHost): Promise<void> {
    for (const pid of (await this.exec(h, ['ip', 'netns', 'pids', h.ns]).catch(() => '')).split('\n').filter(Boolean)) {
      let cmd: string;
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue; // gone
      }
      const argv0 = cmd.split('\0')[0];
      if (!cmd.includes('coxswain/dist/main.js') && !/(^|\/)etcd$/.test(argv0)) continue;
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  /** The host's link to the bridge down (a machine falling off the network) or up again. */
  async link(h: SimHost, up: boolean): Promise<void> {
    await run('ip', ['-n', WIRE_NS, 'link', 'set', vethOf(h.index), up ? 'up' : 'down']);
  }

  async stop(): Promise<void> {
    // An engine told to stop first would give each container 10 s to end on SIGTERM (a pid 1 ignores it).
    const procs = this.procs.filter((p) => !this.engines.has(p));
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) killGroup(p.pid!, 'SIGTERM');
    await Promise.all(procs.map((p) => exited(p, 20_000).then((done) => done || (killGroup(p.pid!, 'SIGKILL'), exited(p, 5_000)))));
    await sweep();
    this.unlock();
  }

  private async plumb(h: SimHost): Promise<void> {
    mkdirSync(h.dir, { recursive: true });
    mkdirSync(path.join(RUN, h.ns), { recursive: true });
    await run('ip', ['netns', 'add', h.ns]);
    await run('ip', ['-n', WIRE_NS, 'link', 'add', vethOf(h.index), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns]);
    await run('ip', ['-n', WIRE_NS, 'link', 'set', vethOf(h.index), 'master', BRIDGE, 'up']);
    await this.exec(h, ['ip', 'addr', 'add', `${h.address}/24`, 'dev', 'eth0']);
    await this.exec(h, ['ip', 'link', 'set', 'eth0', 'up']);
    await this.exec(h, ['ip', 'link', 'set', 'lo', 'up']);
  }

  private async startEngine(h: SimHost): Promise<void> {
    const root = path.join(RUN, h.ns);
    const engine = this.spawn(h, 'dockerd', [
      'dockerd', '--data-root', path.join(h.dir, 'docker'), '--exec-root', path.join(root, 'exec'),
      '-H', h.dockerEndpoint, '--pidfile', path.join(root, 'docker.pid'),
      // No docker0: the kubelet makes its own pod network per minion.
      '--bridge', 'none', '--storage-driver', 'overlay2',
      // The cluster registry on host 1 serves plain HTTP on the hosts' link, as an operator configures in daemon.json.
      '--insecure-registry', '10.213.0.0/24',
    ]);
    this.engines.add(engine);
    await eventually(() => run('docker', ['-H', h.dockerEndpoint, 'info', '--format', '{{.ID}}']).then(Boolean, () => false), 60_000, `dockerd of ${h.ns}`, 250);
  }
}

const netnsPath = (ns: string) => `/run/netns/${ns}`;

/** Runs `argv` inside the named network namespace and returns its stdout. */
function inNetns(ns: string, argv: readonly string[], timeoutMs = 60_000, input?: string): Promise<string> {
  return run('nsenter', [`--net=${netnsPath(ns)}`, ...argv], timeoutMs, input);
}
/** Host i's end on the bridge (in cxh-wire); cxhv0 is the root namespace's end. */
const vethOf = (i: number) => `cxhv${i}`;

/** The wire: cxh-wire with the bridge, not filtering, and the root namespace's veth onto it. */
async function plumbWire(): Promise<void> {
  await run('ip', ['netns', 'add', WIRE_NS]);
  const inWire = (...argv: string[]) => inNetns(WIRE_NS, argv);
  await inWire('ip', 'link', 'add', BRIDGE, 'type', 'bridge');
  // Loaded machine-wide by Docker, br_netfilter starts each namespace with these at 1.
  for (const family of ['iptables', 'ip6tables', 'arptables']) {
    const file = `/proc/sys/net/bridge/bridge-nf-call-${family}`;
    await inWire('sh', '-c', `[ ! -e ${file} ] || echo 0 > ${file}`);
  }
  await inWire('ip', 'link', 'set', BRIDGE, 'up');
  await inWire('ip', 'link', 'set', 'lo', 'up');
  await run('ip', ['link', 'add', vethOf(0), 'type', 'veth', 'peer', 'name', 'root', 'netns', WIRE_NS]);
  await inWire('ip', 'link', 'set', 'root', 'master', BRIDGE, 'up');
  await run('ip', ['addr', 'add', `${ROOT_ADDRESS}/24`, 'dev', vethOf(0)]);
  await run('ip', ['link', 'set', vethOf(0), 'up']);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone
  }
}

function exited(p: ChildProcess, ms: number): Promise<boolean> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Removes whatever simulated hosts exist (this run's or a crashed one's): engines, mounts, namespaces, links. */
async function sweep(): Promise<void> {
  const namespaces = (await quiet('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]).filter((n) => /^cxh-\d+$/.test(n));
  for (const ns of namespaces) {
    const sock = `unix://${RUN}/${ns}/docker.sock`;
    const ids = (await quiet('docker', ['-H', sock, 'ps', '-aq'])).split('\n').filter(Boolean);
    if (ids.length) await quiet('docker', ['-H', sock, 'rm', '-f', ...ids]);
    const pidFile = path.join(RUN, ns, 'docker.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      try {
        process.kill(pid, 'SIGTERM');
        await eventually(() => !existsSync(`/proc/${pid}`), 30_000, `dockerd of ${ns} to exit`, 200);
      } catch {
        // not running
      }
    }
    // Processes still inside the namespace (a crashed run's kubelet or proxy).
    for (const pid of (await quiet('ip', ['netns', 'pids', ns])).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
    await quiet('ip', ['netns', 'del', ns]);
  }
  killOrphanedContainers();
  for (const dir of [STATE, ...readdirSafe(RUN).filter((d) => /^cxh-\d+$/.test(d)).map((d) => path.join(RUN, d))]) {
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && m.startsWith(dir + '/'));
    for (const m of mounts.sort().reverse()) await quiet('umount', ['-l', m]);
    rmSync(dir, { recursive: true, force: true });
  }
  // The wire's namespace takes the bridge and every veth pair with it (cxhv0 in the root included).
  await quiet('ip', ['netns', 'del', WIRE_NS]);
  for (const link of (await quiet('ip', ['-o', 'link', 'show'])).split('\n').map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1]).filter((l): l is string => !!l && /^cxhv\d+$/.test(l))) {
    await quiet('ip', ['link', 'del', link]);
  }
}

/**
 * Kills the processes of any simulated host's containers. An engine that died (SIGKILL, OOM) leaves
 * them running: each lives in namespaces of its own, out of reach of `ip netns pids`, in cgroup
 * /docker/<id> (or docker-<id>.scope under systemd), <id> one of that engine's containers.
 */
function killOrphanedContainers(): void {
  const ids = new Set(readdirSafe(STATE).flatMap((host) => readdirSafe(path.join(STATE, host, 'docker', 'containers'))));
  if (ids.size === 0) return;
  for (const pid of readdirSafe('/proc').filter((p) => /^\d+$/.test(p))) {
    let cgroups: string;
    try {
      cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    } catch {
      continue; // gone
    }
    const id = /docker[-/]([0-9a-f]{64})(\.scope)?$/m.exec(cgroups)?.[1];
    if (id && ids.has(id)) killHard(Number(pid));
  }
}

function killHard(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** What a test asserts is gone after stop(): namespaces, links, mounts, processes. */
export function simHostLeftovers(): string[] {
  const out: string[] = [];
  // `ip netns list` adds " (id: N)" to a namespace that has a peer elsewhere (the wire's has the root's veth).
  const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => /^cxh-/.test(l)).map((l) => l.split(' ')[0]);
  out.push(...ns.map((n) => `netns ${n}`));
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(BRIDGE) || /\bcxhv\d+/.test(l));
  out.push(...links.map((l) => `link ${l.split(':')[1]?.trim()}`));
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes('/cxh-') || l.includes(STATE));
  out.push(...mounts.map((m) => `mount ${m.split(' ')[1]}`));
  out.push(...processesNaming([`${RUN}/cxh-`, STATE]).map((p) => `process ${p}`));
  return out;
}
