// A container runtime that keeps containers in memory: the same contract as the Docker runtime, with
// configurable start latency and injected failures, for unit tests and hollow minions. Cheap by
// design: no timers unless a container is scripted to exit or a start latency is set.
import { PassThrough } from 'stream';
import { Clock, imageReferenceProblem, MIN_MEMORY_LIMIT_BYTES, realClock } from '@coxswain/objects';
import {
  ContainerConfig,
  ContainerNotFoundError,
  ContainerRuntime,
  ContainerUsage,
  ExecResult,
  ImagePullError,
  InvalidImageNameError,
  LogOptions,
  StreamOptions,
  StreamSession,
  NetworkSpec,
  RuntimeContainer,
  RuntimeEvent,
  SandboxConfig,
} from './runtime';
import { hostAddress } from './cidr';
import type { NodeUsage } from './node-usage';

/** What a scripted container does once started. */
export interface ContainerBehavior {
  /** Exits on its own after this long (default: runs until stopped). */
  exitAfterMs?: number;
  exitCode?: number;
  /** Output written at start. */
  output?: string;
}

export interface MemoryRuntimeOptions {
  clock?: Clock;
  /** Delay of every start (default 0). */
  startLatencyMs?: number;
  /**
   * How long a stopped container takes to exit (default 0): it keeps running, and a sandbox keeps
   * its host ports, until then, as a Docker container does while it handles SIGTERM.
   */
  stopLatencyMs?: number;
  /** Images already present (default none; pulls succeed unless `pullFails` says otherwise). */
  images?: string[];
  /** Makes a pull fail with this message. */
  pullFails?: (image: string) => string | undefined;
  /** Makes a create fail with this message (besides the refusals Docker makes, which this runtime makes too). */
  createFails?: (config: ContainerConfig) => string | undefined;
  /** Makes a start fail with this message (the container ends exited with code 128). */
  startFails?: (config: ContainerConfig) => string | undefined;
  /** Makes a sandbox's start fail with this message, after its create and start latency (it is removed, as the Docker runtime does). */
  sandboxStartFails?: (config: SandboxConfig) => string | undefined | Promise<string | undefined>;
  /** Scripts what a container does once started. */
  behavior?: (config: ContainerConfig) => ContainerBehavior | undefined;
  /**
   * What a running container uses (default SYNTHETIC_USAGE): a steady CPU rate and memory, so a
   * hollow minion's stats cost what a real one's would and `top` has figures to show.
   */
  usage?: (config: ContainerConfig) => SyntheticUsage | undefined;
  /** Answers exec calls (default: exit 0, no output). */
  exec?: (container: MemoryContainer, command: string[]) => ExecResult | Promise<ExecResult>;
}

export interface SyntheticUsage {
  cpuMillicores: number;
  memoryBytes: number;
}

export const SYNTHETIC_USAGE: SyntheticUsage = { cpuMillicores: 5, memoryBytes: 8 * 2 ** 20 };

export interface MemoryContainer extends RuntimeContainer {
  config?: ContainerConfig;
  sandbox?: SandboxConfig;
  network?: string;
  /** Each line with the runtime clock's time when it was written (for since and timestamps). */
  log: Array<{ at: number; line: string }>;
  /** Bumped on every state change, so a scripted exit of an earlier run does nothing. */
  generation: number;
  followers: Set<PassThrough>;
  /** startedAt as epoch ms: usage reads it for every container on every stats reading. */
  startedAtMs?: number;
}

interface Subscription {
  labels: Record<string, string>;
  handler: (e: RuntimeEvent) => void;
}

let nextId = 1;

export class MemoryRuntime implements ContainerRuntime {
  readonly kind = 'memory' as const;
  readonly containers = new Map<string, MemoryContainer>();
  readonly networks = new Map<string, NetworkSpec & { nextHost: number }>();
  readonly images: Set<string>;
  private readonly imageUsers = new Map<string, string>();
  /** Counters a test can assert on. */
  readonly stats = { creates: 0, starts: 0, stops: 0, removes: 0, pulls: 0 };
  private readonly subs = new Set<Subscription>();
  private readonly clock: Clock;

  constructor(private readonly opts: MemoryRuntimeOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.images = new Set(opts.images ?? []);
  }

  async ensureNetwork(spec: NetworkSpec): Promise<void> {
    const existing = this.networks.get(spec.name);
    if (existing && existing.subnet !== spec.subnet) {
      throw new Error(`network ${spec.name} exists with subnet ${existing.subnet}, want ${spec.subnet}`);
    }
    if (!existing) this.networks.set(spec.name, { ...spec, nextHost: 2 });
  }

  async removeNetwork(name: string): Promise<void> {
    this.networks.delete(name);
  }

  async listContainers(labels: Record<string, string>): Promise<RuntimeContainer[]> {
    const out: RuntimeContainer[] = [];
    for (const c of this.containers.values()) if (matches(c.labels, labels)) out.push(snapshot(c));
    return out;
  }

  async inspect(id: string): Promise<RuntimeContainer> {
    return snapshot(this.get(id));
  }

  async runSandbox(config: SandboxConfig, onCreated?: (id: string) => void): Promise<string> {
    const net = this.networks.get(config.network);
    if (!net) throw new Error(`network ${config.network} not found`);
    this.checkImage(config.image);
    for (const c of this.containers.values()) {
      if (c.state !== 'running' || !c.sandbox) continue;
      for (const p of c.sandbox.ports) {
        for (const q of config.ports) {
          if (p.hostPort === q.hostPort && p.hostIp === q.hostIp && p.protocol === q.protocol) {
            throw new Error(`port is already allocated: ${q.hostIp}:${q.hostPort}`);
          }
        }
      }
    }
    const c = this.add(config.name, config.image, config.labels);
    c.sandbox = config;
    c.network = config.network;
    c.ip = hostAddress(net.subnet, net.nextHost++);
    onCreated?.(c.id);
    try {
      await this.startContainer(c.id);
    } catch (e) {
      await this.removeContainer(c.id);
      throw e;
    }
    return c.id;
  }

  async createContainer(config: ContainerConfig): Promise<string> {
    this.get(config.sandboxId);
    this.checkImage(config.image);
    const refused = this.opts.createFails?.(config) ?? dockerCreateRefusal(config);
    if (refused) throw new Error(refused);
    const c = this.add(config.name, config.image, config.labels);
    c.config = config;
    return c.id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.get(id);
    if (c.state === 'running') return;
    // As Docker: an app container joins its sandbox's network namespace, which must be running.
    const sandbox = c.config && this.containers.get(c.config.sandboxId);
    if (c.config && sandbox?.state !== 'running') throw new Error(`cannot join network of a non running container: ${c.config.sandboxId}`);
    if (this.opts.startLatencyMs) await this.clock.sleep(this.opts.startLatencyMs);
    const sandboxRefused = c.sandbox && (await this.opts.sandboxStartFails?.(c.sandbox));
    if (sandboxRefused) throw new Error(sandboxRefused);
    const gen = ++c.generation;
    const failure = c.config && this.opts.startFails?.(c.config);
    if (failure) {
      c.state = 'exited';
      c.exitCode = 128;
      c.reason = 'ContainerCannotRun';
      c.message = failure;
      c.finishedAt = new Date(this.clock.now()).toISOString();
      this.emit('die', c);
      throw new Error(failure);
    }
    this.stats.starts++;
    c.state = 'running';
    c.startedAtMs = this.clock.now();
    c.startedAt = new Date(c.startedAtMs).toISOString();
    c.finishedAt = undefined;
    c.exitCode = undefined;
    const behavior = c.config && this.opts.behavior?.(c.config);
    if (behavior?.output) this.appendLog(id, behavior.output);
    if (behavior?.exitAfterMs !== undefined) {
      void this.clock.sleep(behavior.exitAfterMs).then(() => {
        if (c.generation === gen && c.state === 'running') this.finish(c, behavior.exitCode ?? 0);
      });
    }
    this.emit('start', c);
  }

  async stopContainer(id: string, _graceSeconds: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c || c.state !== 'running') return;
    this.stats.stops++;
    const gen = c.generation;
    if (this.opts.stopLatencyMs) await this.clock.sleep(this.opts.stopLatencyMs);
    if (c.generation === gen && c.state === 'running') this.finish(c, 143);
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.stats.removes++;
    if (c.state === 'running') this.finish(c, 137);
    this.containers.delete(id);
    this.emit('destroy', c);
  }

  async exec(id: string, command: string[], _timeoutMs: number): Promise<ExecResult> {
    const c = this.get(id);
    if (c.state !== 'running') throw new Error(`container ${id} is not running`);
    return this.opts.exec ? this.opts.exec(c, command) : { exitCode: 0, output: '' };
  }

  /**
   * The scripted exec (options.exec) as a stream: its output on stdout, then its exit code; stdin is
   * read and dropped. Enough for the stream servers' protocol tests; real streams need Docker.
   */
  async execStream(id: string, command: string[], opts: StreamOptions): Promise<StreamSession> {
    const result = await this.exec(id, command, 0);
    return scriptedSession(opts, result.output, result.exitCode);
  }

  /** The container's log so far as stdout; no exit code (attach has none). */
  async attach(id: string, opts: StreamOptions): Promise<StreamSession> {
    const c = this.get(id);
    if (c.state !== 'running') throw new Error(`container ${id} is not running`);
    return scriptedSession(opts, c.log.map((e) => e.line).join(''), undefined);
  }

  /** The synthetic use since the container started: CPU accrues at the configured rate on the runtime's clock. */
  async usage(id: string): Promise<ContainerUsage | undefined> {
    const now = this.clock.now();
    const use = this.syntheticUse(this.get(id), now);
    if (!use) return undefined;
    return { timestampMs: now, cpuUsageNanoSeconds: use.cpuNanoSeconds, memoryUsageBytes: use.memoryBytes, memoryWorkingSetBytes: use.memoryBytes, memoryRssBytes: use.memoryBytes };
  }

  private syntheticUse(c: MemoryContainer, now: number): { cpuNanoSeconds: number; memoryBytes: number } | undefined {
    if (c.state !== 'running' || c.startedAtMs === undefined) return undefined;
    const use = (c.config && this.opts.usage?.(c.config)) ?? SYNTHETIC_USAGE;
    return { cpuNanoSeconds: Math.round(use.cpuMillicores * 1e3 * Math.max(0, now - c.startedAtMs)), memoryBytes: use.memoryBytes };
  }

  /**
   * The minion's own use for a hollow minion: what its running containers use (their synthetic
   * figures), out of `memoryTotalBytes`. The host's /proc would give every hollow minion the
   * machine's figures, and reading it for each of 1,000 minions costs more than the rest of their stats.
   */
  async nodeUsage(memoryTotalBytes: number): Promise<NodeUsage> {
    const now = this.clock.now();
    let cpu = 0;
    let memory = 0;
    for (const c of this.containers.values()) {
      const use = c.sandbox ? undefined : this.syntheticUse(c, now); // sandboxes are not read for stats either
      cpu += use?.cpuNanoSeconds ?? 0;
      memory += use?.memoryBytes ?? 0;
    }
    const free = Math.max(0, memoryTotalBytes - memory);
    return { timestampMs: now, cpuBusyNanoSeconds: cpu, memoryTotalBytes, memoryFreeBytes: free, memoryAvailableBytes: free };
  }

  async logs(id: string, opts: LogOptions = {}): Promise<NodeJS.ReadableStream> {
    const c = this.get(id);
    const out = new PassThrough();
    const since = opts.since;
    let entries = since === undefined ? c.log : c.log.filter((e) => e.at >= since);
    if (opts.tail !== undefined) entries = opts.tail === 0 ? [] : entries.slice(-opts.tail);
    if (opts.timestamps) STAMPED.add(out);
    out.write(entries.map((e) => stamp(e, out)).join(''));
    if (opts.follow && c.state === 'running') {
      c.followers.add(out);
      const end = () => {
        c.followers.delete(out);
        out.end();
      };
      opts.signal?.addEventListener('abort', end, { once: true });
      out.on('close', () => c.followers.delete(out));
    } else out.end();
    return out;
  }

  /** Images here run as the user `setImageUser` gave them, else as root. */
  async imageUser(image: string): Promise<string> {
    return this.imageUsers.get(image) ?? '';
  }

  setImageUser(image: string, user: string): void {
    this.imageUsers.set(image, user);
  }

  async hasImage(image: string): Promise<boolean> {
    checkReference(image);
    return this.images.has(image);
  }

  async pullImage(image: string): Promise<void> {
    checkReference(image);
    this.stats.pulls++;
    const failure = this.opts.pullFails?.(image);
    if (failure) throw new ImagePullError(image, failure);
    this.images.add(image);
  }

  subscribe(labels: Record<string, string>, handler: (event: RuntimeEvent) => void): () => void {
    const sub = { labels, handler };
    this.subs.add(sub);
    return () => this.subs.delete(sub);
  }

  async close(): Promise<void> {
    this.subs.clear();
  }

  // ---- test controls -------------------------------------------------------------------------

  /** The container dies on its own (what `docker kill` or a crash looks like). */
  crash(id: string, exitCode = 137): void {
    const c = this.get(id);
    if (c.state === 'running') this.finish(c, exitCode);
  }

  appendLog(id: string, text: string): void {
    const c = this.get(id);
    const at = this.clock.now();
    const lines = text.split(/(?<=\n)/).filter((l) => l !== '');
    for (const line of lines) c.log.push({ at, line });
    for (const f of c.followers) f.write(lines.map((line) => stamp({ at, line }, f)).join(''));
  }

  /** Containers (running or not) of one pod container name, newest first. */
  byName(podName: string, containerName: string): MemoryContainer[] {
    return [...this.containers.values()]
      .filter((c) => c.labels['coxswain.pod.name'] === podName && c.labels['coxswain.container.name'] === containerName)
      .sort((a, b) => Number(b.labels['coxswain.container.attempt'] ?? 0) - Number(a.labels['coxswain.container.attempt'] ?? 0));
  }

  // ---- internals -----------------------------------------------------------------------------

  private add(name: string, image: string, labels: Record<string, string>): MemoryContainer {
    for (const c of this.containers.values()) {
      if (c.name === name) throw new Error(`Conflict. The container name "/${name}" is already in use`);
    }
    this.stats.creates++;
    const id = `mem${(nextId++).toString(16).padStart(12, '0')}`;
    const c: MemoryContainer = {
      id,
      name,
      image,
      labels: { ...labels },
      state: 'created',
      createdAt: new Date(this.clock.now()).toISOString(),
      log: [],
      generation: 0,
      followers: new Set(),
    };
    this.containers.set(id, c);
    return c;
  }

  private finish(c: MemoryContainer, exitCode: number): void {
    c.generation++;
    c.state = 'exited';
    c.exitCode = exitCode;
    c.finishedAt = new Date(this.clock.now()).toISOString();
    for (const f of c.followers) f.end();
    c.followers.clear();
    this.emit('die', c);
  }

  private checkImage(image: string): void {
    if (!this.images.has(image)) throw new Error(`No such image: ${image}`);
  }

  private get(id: string): MemoryContainer {
    const c = this.containers.get(id);
    if (!c) throw new ContainerNotFoundError(id);
    return c;
  }

  private emit(type: RuntimeEvent['type'], c: MemoryContainer): void {
    if (this.subs.size === 0) return;
    const event: RuntimeEvent = { type, id: c.id, labels: { ...c.labels } };
    // Delivered later, as a real engine's event stream would, never inside the caller's call.
    queueMicrotask(() => {
      for (const s of this.subs) if (matches(event.labels, s.labels)) s.handler(event);
    });
  }
}

function matches(have: Record<string, string>, want: Record<string, string>): boolean {
  for (const k in want) if (have[k] !== want[k]) return false;
  return true;
}

function snapshot(c: MemoryContainer): RuntimeContainer {
  return {
    id: c.id,
    name: c.name,
    image: c.image,
    labels: { ...c.labels },
    state: c.state,
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    exitCode: c.exitCode,
    reason: c.reason,
    message: c.message,
    ip: c.ip,
  };
}

/** Docker refuses a reference outside its grammar before looking for the image; so does this runtime. */
function checkReference(image: string): void {
  if (imageReferenceProblem(image)) throw new InvalidImageNameError(image, 'invalid reference format');
}

/** What Docker refuses at container create that the kubelet may still ask for, in Docker's words. */
function dockerCreateRefusal(config: ContainerConfig): string | undefined {
  const memory = config.memoryBytes ?? 0;
  if (memory > 0 && memory < MIN_MEMORY_LIMIT_BYTES) return 'Error response from daemon: Minimum memory limit allowed is 6MB';
  if (config.workingDir && !config.workingDir.startsWith('/')) {
    return `Error response from daemon: the working directory '${config.workingDir}' is invalid, it needs to be an absolute path`;
  }
  return undefined;
}

/** Streams asked for timestamps (a follower gets new lines in the form it asked for). */
const STAMPED = new WeakSet<PassThrough>();

function stamp(e: { at: number; line: string }, out: PassThrough): string {
  return STAMPED.has(out) ? `${new Date(e.at).toISOString()} ${e.line}` : e.line;
}

function scriptedSession(opts: StreamOptions, output: string, exitCode: number | undefined): StreamSession {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = opts.stdin ? new PassThrough() : undefined;
  stdin?.resume();
  stdout.end(output);
  stderr.end();
  return { stdin, stdout, stderr, resize: async () => undefined, finished: Promise.resolve(exitCode), close: () => undefined };
}
