// The container runtime on a real Docker engine (dockerode over the local socket). One bridge
// network per minion; the infra container owns the pod's network namespace and its host ports, app
// containers join it with `NetworkMode: container:<infra>`. An infra container without host ports is
// put on the bridge by the kubelet itself when it can (veth-attach.ts), not by Docker.
import Docker from 'dockerode';
import { PassThrough } from 'stream';
import { Backoff } from '@coxswain/client';
import { createLogger, Logger } from '@coxswain/process';
import { dockerAttach, dockerExecStream } from './docker-streams';
import {
  ContainerConfig,
  ContainerNotFoundError,
  ContainerRuntime,
  ContainerStateName,
  ContainerUsage,
  ExecResult,
  ImagePullError,
  InvalidImageNameError,
  LogOptions,
  StreamOptions,
  StreamSession,
  NetworkSpec,
  RuntimeContainer,
  RuntimeError,
  RuntimeEvent,
  SandboxConfig,
} from './runtime';
import { countRuntimeError } from './kubelet-metrics';
import { appendFile } from 'node:fs/promises';
import { ATTACH_LABELS, attachVeth, bridgeIsHere, dockerRangeOf, freeAddress, isProcessOf } from './veth-attach';
import { parseCidr } from './cidr';

export interface DockerRuntimeOptions {
  /** Path of the engine's socket (default /var/run/docker.sock, or DOCKER_HOST's unix path). */
  socketPath?: string;
  /** The engine's connection (docker-endpoint.ts), instead of socketPath. */
  connection?: Docker.DockerOptions;
  /**
   * Run app containers under Docker's init (default true), so programs that do not handle
   * signals as PID 1 (busybox httpd, sleep) still stop on SIGTERM within the grace period.
   */
  init?: boolean;
  /** Deadline for a pull (default 5 min). */
  pullTimeoutMs?: number;
  /**
   * Who puts a sandbox without host ports on the minion's bridge: the kubelet (default; veth-attach.ts),
   * when the engine is local and the kubelet runs as root, or always Docker.
   */
  podAttach?: 'kubelet' | 'docker';
  logger?: Logger;
}

/** A minion network whose sandboxes the kubelet attaches itself. */
interface LocalBridge {
  bridge: string;
  subnet: string;
  gateway: string;
  /** Addresses chosen and not yet on a created sandbox's label. */
  pending: Set<string>;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
/**
 * How long an image found present is believed present: every pod start asks about the infra image
 * and its own, and a burst of pods asks the same few. A removed image is noticed at the latest after
 * this, or at once when a create is refused for it.
 */
const IMAGE_PRESENT_MS = 5_000;

export class DockerRuntime implements ContainerRuntime {
  readonly kind = 'docker' as const;
  readonly docker: Docker;
  private readonly init: boolean;
  private readonly pullTimeoutMs: number;
  private readonly log: Logger;
  private readonly subscriptions = new Set<AbortController>();
  /** An exited container never changes again: its inspect result is kept until it is removed. */
  private readonly exitedCache = new Map<string, RuntimeContainer>();
  /** Image inspects found present (or still asking), by reference, for IMAGE_PRESENT_MS. */
  private readonly images = new Map<string, { at: number; info: Promise<Docker.ImageInspectInfo> }>();
  /** Whether the engine runs on this host (a unix socket), so its containers' namespaces are here. */
  private readonly localEngine: boolean;
  private readonly podAttach: 'kubelet' | 'docker';
  /** By network name: the networks whose sandboxes the kubelet attaches. */
  private readonly bridges = new Map<string, LocalBridge>();

  constructor(opts: DockerRuntimeOptions = {}) {
    const fromEnv = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice(7) : undefined;
    this.docker = new Docker(opts.connection ?? { socketPath: opts.socketPath ?? fromEnv ?? '/var/run/docker.sock' });
    this.init = opts.init ?? true;
    this.pullTimeoutMs = opts.pullTimeoutMs ?? 5 * 60_000;
    this.log = opts.logger ?? createLogger('docker-runtime');
    this.localEngine = opts.connection === undefined || !!opts.connection.socketPath;
    this.podAttach = opts.podAttach ?? 'kubelet';
  }

  async ensureNetwork(spec: NetworkSpec): Promise<void> {
    const ipRange = dockerRangeOf(spec.subnet);
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.findNetwork(spec.name);
      if (existing) {
        const config = existing.IPAM?.Config?.[0];
        if (config?.Subnet === spec.subnet && config?.IPRange === ipRange) return this.useBridge(spec, existing);
        const attached = Object.keys(existing.Containers ?? {}).length + (await this.attachedByKubelet(spec.name));
        if (config?.Subnet === spec.subnet && attached > 0) {
          // Made by a kubelet that left the whole subnet to Docker: its pods keep it until none is left.
          this.log.info({ network: spec.name }, 'pod network without the kubelet\'s address range; Docker attaches its pods');
          this.bridges.delete(spec.name);
          return;
        }
        if (attached > 0) {
          throw new RuntimeError(`network ${spec.name} has subnet ${config?.Subnet} (want ${spec.subnet}) and ${attached} containers attached`);
        }
        this.log.warn({ network: spec.name, subnet: config?.Subnet, ipRange: config?.IPRange, want: spec.subnet }, 'recreating the pod network');
        await this.docker.getNetwork(existing.Id).remove().catch(ignoreStatus(404));
      }
      try {
        await this.docker.createNetwork({
          Name: spec.name,
          Driver: 'bridge',
          CheckDuplicate: true,
          IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet, Gateway: spec.gateway, ...(ipRange ? { IPRange: ipRange } : {}) }] },
          Labels: spec.labels ?? {},
        });
        this.log.info({ network: spec.name, subnet: spec.subnet }, 'created pod network');
        const created = await this.findNetwork(spec.name);
        if (created) await this.useBridge(spec, created);
        return;
      } catch (e) {
        if (statusOf(e) !== 409) throw wrap(e, `create network ${spec.name}`);
        // Someone created it meanwhile: look again.
      }
    }
    throw new RuntimeError(`could not ensure network ${spec.name}`);
  }

  /** Records whether the kubelet attaches this network's sandboxes itself (it can, and was asked to). */
  private async useBridge(spec: NetworkSpec, network: Docker.NetworkInspectInfo): Promise<void> {
    const bridge = network.Options?.['com.docker.network.bridge.name'] ?? `br-${network.Id.slice(0, 12)}`;
    if (this.podAttach === 'kubelet' && dockerRangeOf(spec.subnet) && this.localEngine && (await bridgeIsHere(bridge))) {
      const known = this.bridges.get(spec.name);
      this.bridges.set(spec.name, { bridge, subnet: spec.subnet, gateway: spec.gateway, pending: known?.pending ?? new Set() });
    } else {
      this.bridges.delete(spec.name);
    }
  }

  /** Running sandboxes the kubelet attached to this network's bridge: Docker does not count them. */
  private async attachedByKubelet(network: string): Promise<number> {
    return (await this.sandboxesOnBridge(network, false)).length;
  }

  /** The sandboxes (running, or with `all` every one) the kubelet attached to this network's bridge. */
  private sandboxesOnBridge(network: string, all: boolean): Promise<Docker.ContainerInfo[]> {
    return this.docker.listContainers({ all, filters: JSON.stringify({ label: [`${ATTACH_LABELS.network}=${network}`] }) }).catch((e) => {
      throw wrap(e, 'list containers');
    });
  }

  async removeNetwork(name: string): Promise<void> {
    // Docker refuses while its own endpoints are on the network; the same for the kubelet's.
    const attached = await this.attachedByKubelet(name);
    if (attached > 0) throw new RuntimeError(`network ${name} has ${attached} running sandboxes attached`);
    this.bridges.delete(name);
    const existing = await this.findNetwork(name);
    if (existing) await this.docker.getNetwork(existing.Id).remove().catch(ignoreStatus(404));
  }

  async listContainers(labels: Record<string, string>): Promise<RuntimeContainer[]> {
    const filters = JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) });
    let list: Docker.ContainerInfo[];
    try {
      list = await this.docker.listContainers({ all: true, filters });
    } catch (e) {
      throw wrap(e, 'list containers');
    }
    return list.map((c) => {
      const cached = this.exitedCache.get(c.Id);
      if (cached) return { ...cached, labels: { ...cached.labels } };
      return {
        id: c.Id,
        name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
        image: c.Image,
        labels: c.Labels ?? {},
        state: stateName(c.State),
        createdAt: new Date(c.Created * 1000).toISOString(),
      };
    });
  }

  async inspect(id: string): Promise<RuntimeContainer> {
    const cached = this.exitedCache.get(id);
    if (cached) return { ...cached, labels: { ...cached.labels } };
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(id).inspect();
    } catch (e) {
      if (statusOf(e) === 404) {
        this.exitedCache.delete(id);
        throw new ContainerNotFoundError(id);
      }
      throw wrap(e, `inspect ${id}`);
    }
    const networks = Object.values(info.NetworkSettings?.Networks ?? {});
    const state = stateName(info.State.Status);
    const result: RuntimeContainer = {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      image: info.Config.Image,
      labels: info.Config.Labels ?? {},
      state,
      createdAt: info.Created,
      startedAt: info.State.StartedAt && info.State.StartedAt !== ZERO_TIME ? info.State.StartedAt : undefined,
      finishedAt: info.State.FinishedAt && info.State.FinishedAt !== ZERO_TIME ? info.State.FinishedAt : undefined,
      exitCode: state === 'exited' ? info.State.ExitCode : undefined,
      reason: info.State.OOMKilled ? 'OOMKilled' : info.State.Error ? 'ContainerCannotRun' : undefined,
      message: info.State.Error || undefined,
      ip: networks.find((n) => n.IPAddress)?.IPAddress || (state === 'running' ? info.Config.Labels?.[ATTACH_LABELS.address] : undefined) || undefined,
    };
    if (state === 'exited') this.exitedCache.set(id, result);
    return result;
  }

  async runSandbox(config: SandboxConfig, onCreated?: (id: string) => void): Promise<string> {
    const bridge = config.ports.length === 0 ? this.bridges.get(config.network) : undefined;
    if (bridge) return this.runSandboxOnBridge(config, bridge, onCreated);
    const exposed: Record<string, object> = {};
    const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
    for (const p of config.ports) {
      const key = `${p.containerPort}/${p.protocol}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
    }
    const container = await this.createAndStartSandbox(
      config,
      { Labels: config.labels, ExposedPorts: exposed, HostConfig: { NetworkMode: config.network, PortBindings: bindings, RestartPolicy: { Name: 'no' } } },
      onCreated,
    );
    return container.id;
  }

  /** Creates and starts a sandbox (`onCreated` between the two); one that cannot start is removed. */
  private async createAndStartSandbox(config: SandboxConfig, options: Docker.ContainerCreateOptions, onCreated?: (id: string) => void): Promise<Docker.Container> {
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer({ name: config.name, Image: config.image, Hostname: config.hostname, ...options });
    } catch (e) {
      this.forgetImageIfMissing(config.image, e);
      throw wrap(e, `create sandbox ${config.name}`);
    }
    onCreated?.(container.id);
    try {
      await container.start();
    } catch (e) {
      // A sandbox that cannot start (a host port in use) is of no use: do not leave it behind.
      await container.remove({ force: true }).catch(() => undefined);
      throw wrap(e, `start sandbox ${config.name}`);
    }
    return container;
  }

  /** A sandbox the kubelet attaches: started without a network, then given a veth on the bridge. */
  private async runSandboxOnBridge(config: SandboxConfig, net: LocalBridge, onCreated?: (id: string) => void): Promise<string> {
    // Every sandbox, exited ones too: an address is free once its sandbox is removed.
    const list = await this.sandboxesOnBridge(config.network, true);
    // The pending ones as they are now, after the list: a concurrent sandbox may have taken one meanwhile.
    const used = new Set([...list.map((c) => c.Labels?.[ATTACH_LABELS.address] ?? ''), ...net.pending]);
    const address = freeAddress(net.subnet, used);
    if (!address) throw new RuntimeError(`no free address in ${net.subnet} for sandbox ${config.name}`);
    net.pending.add(address); // taken before the next await: a concurrent sandbox sees it
    let container: Docker.Container;
    try {
      container = await this.createAndStartSandbox(
        config,
        { Labels: { ...config.labels, [ATTACH_LABELS.network]: config.network, [ATTACH_LABELS.address]: address }, HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'no' } } },
        onCreated,
      );
    } finally {
      net.pending.delete(address); // on a sandbox's label now, or not taken
    }
    try {
      const info = await container.inspect();
      if (!(await isProcessOf(info.State.Pid, container.id))) throw new Error(`pid ${info.State.Pid} is not the sandbox's process here (is the engine in another PID namespace?)`);
      await attachVeth({ pid: info.State.Pid, bridge: net.bridge, hostInterface: `cx${container.id.slice(0, 12)}`, address, prefixLength: parseCidr(net.subnet).bits, gateway: net.gateway });
      // As Docker does on its networks: the pod's hostname resolves to its address (its containers share the file).
      if (config.hostname && info.HostsPath) await appendFile(info.HostsPath, `${address}\t${config.hostname}\n`);
    } catch (e) {
      const stillRunning = await container.inspect().then((i) => i.State.Running, () => false);
      await container.remove({ force: true }).catch(() => undefined);
      if (stillRunning) {
        // The sandbox is fine and this host cannot attach it: Docker attaches from now on (the pod is retried).
        this.bridges.delete(config.network);
        this.log.warn({ network: config.network, err: messageOf(e) }, 'could not attach a sandbox to the bridge; Docker attaches the pods of this network from now on');
      }
      throw new RuntimeError(`attach sandbox ${config.name} to ${net.bridge}: ${messageOf(e)}`);
    }
    return container.id;
  }

  async createContainer(config: ContainerConfig): Promise<string> {
    try {
      const container = await this.docker.createContainer({
        name: config.name,
        Image: config.image,
        Entrypoint: config.command,
        Cmd: config.args,
        Env: config.env,
        WorkingDir: config.workingDir,
        Labels: config.labels,
        User: config.user,
        HostConfig: {
          NetworkMode: `container:${config.sandboxId}`,
          Binds: config.mounts?.map((m) => `${m.hostPath}:${m.containerPath}${m.readOnly ? ':ro' : ''}`),
          NanoCpus: config.nanoCpus,
          Memory: config.memoryBytes,
          PidsLimit: config.pidsLimit,
          Init: this.init,
          RestartPolicy: { Name: 'no' },
        },
      });
      return container.id;
    } catch (e) {
      this.forgetImageIfMissing(config.image, e);
      throw wrap(e, `create container ${config.name}`);
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (e) {
      if (statusOf(e) === 304) return; // already running
      throw wrap(e, `start ${id}`);
    }
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.round(graceSeconds)) });
    } catch (e) {
      const status = statusOf(e);
      if (status === 304 || status === 404) return;
      throw wrap(e, `stop ${id}`);
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (e) {
      const status = statusOf(e);
      // 404: already gone; 409: removal already in progress.
      if (status !== 404 && status !== 409) throw wrap(e, `remove ${id}`);
    } finally {
      this.exitedCache.delete(id);
    }
  }

  async exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    const exec = await this.docker
      .getContainer(id)
      .exec({ Cmd: command, AttachStdout: true, AttachStderr: true })
      .catch((e) => {
        throw wrap(e, `exec in ${id}`);
      });
    const stream = await exec.start({ hijack: true, stdin: false });
    const out = new PassThrough();
    let output = '';
    out.on('data', (chunk: Buffer) => {
      if (output.length < 64 * 1024) output += chunk.toString('utf8');
    });
    this.docker.modem.demuxStream(stream, out, out);
    const finished = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      stream.on('end', done);
      stream.on('close', done);
      stream.on('error', done);
    });
    if (!finished) {
      stream.destroy();
      return { exitCode: -1, output, timedOut: true };
    }
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, output };
  }

  execStream(id: string, command: string[], opts: StreamOptions): Promise<StreamSession> {
    return dockerExecStream(this.docker, id, command, opts);
  }

  attach(id: string, opts: StreamOptions): Promise<StreamSession> {
    return dockerAttach(this.docker, id, opts);
  }

  async logs(id: string, opts: LogOptions = {}): Promise<NodeJS.ReadableStream> {
    const container = this.docker.getContainer(id);
    const out = new PassThrough();
    const base = {
      stdout: true,
      stderr: true,
      tail: opts.tail ?? ('all' as unknown as number),
      timestamps: opts.timestamps ?? false,
      // The engine takes fractional Unix seconds.
      ...(opts.since !== undefined ? { since: opts.since / 1000 } : {}),
    };
    try {
      if (opts.follow) {
        const stream = (await container.logs({ ...base, follow: true })) as NodeJS.ReadableStream & { destroy(): void };
        this.docker.modem.demuxStream(stream, out, out);
        stream.on('end', () => out.end());
        stream.on('error', (e: Error) => out.destroy(e));
        const stop = () => stream.destroy();
        const onAbort = () => {
          stop();
          out.end();
        };
        // Aborted while the engine was answering: the listener below would never fire.
        if (opts.signal?.aborted) onAbort();
        else opts.signal?.addEventListener('abort', onAbort, { once: true });
        out.on('close', stop);
      } else {
        const buf = (await container.logs({ ...base, follow: false })) as unknown as Buffer;
        out.end(demuxBuffer(buf));
      }
    } catch (e) {
      if (statusOf(e) === 404) throw new ContainerNotFoundError(id);
      throw wrap(e, `logs of ${id}`);
    }
    return out;
  }

  /**
   * From the engine's one-shot stats (it reads the cgroup for us, v1 or v2 alike, without the
   * one-second wait of a streamed sample): cumulative CPU and current memory.
   */
  async usage(id: string): Promise<ContainerUsage | undefined> {
    let s: Docker.ContainerStats;
    try {
      s = await this.docker.getContainer(id).stats({ stream: false, 'one-shot': true });
    } catch (e) {
      if (statusOf(e) === 404) throw new ContainerNotFoundError(id);
      throw wrap(e, `stats of ${id}`);
    }
    // A stopped container answers with zeroed figures and no read time.
    if (!s.read || s.read.startsWith('0001-') || !s.cpu_stats?.cpu_usage) return undefined;
    const mem = s.memory_stats ?? {};
    const detail = (mem.stats ?? {}) as Record<string, number | undefined>;
    const usage = mem.usage ?? 0;
    // cgroup v1 names them total_*; v2 has no total_ prefix and calls anonymous memory `anon`.
    const inactiveFile = detail.total_inactive_file ?? detail.inactive_file ?? 0;
    return {
      timestampMs: Date.parse(s.read),
      cpuUsageNanoSeconds: s.cpu_stats.cpu_usage.total_usage,
      memoryUsageBytes: usage,
      memoryWorkingSetBytes: Math.max(0, usage - inactiveFile),
      memoryRssBytes: detail.total_rss ?? detail.rss ?? detail.anon ?? 0,
    };
  }

  async imageUser(image: string): Promise<string> {
    try {
      return (await this.inspectImage(image)).Config?.User ?? '';
    } catch (e) {
      throw wrap(e, `inspect image ${image}`);
    }
  }

  async hasImage(image: string): Promise<boolean> {
    try {
      await this.inspectImage(image);
      return true;
    } catch (e) {
      if (statusOf(e) === 404) return false;
      if (refusesReference(e)) throw new InvalidImageNameError(image, messageOf(e));
      throw wrap(e, `inspect image ${image}`);
    }
  }

  async pullImage(image: string): Promise<void> {
    const ref = /:[^/]+$|@/.test(image) ? image : `${image}:latest`;
    try {
      this.images.delete(image);
      const stream = await this.docker.pull(ref);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          (stream as unknown as { destroy?: () => void }).destroy?.();
          reject(new Error(`timed out after ${this.pullTimeoutMs} ms`));
        }, this.pullTimeoutMs);
        this.docker.modem.followProgress(
          stream,
          (err: Error | null, output: Array<{ error?: string }>) => {
            clearTimeout(timer);
            const failed = err?.message ?? output?.find((o) => o.error)?.error;
            if (failed) reject(new Error(failed));
            else resolve();
          },
        );
      });
    } catch (e) {
      if (refusesReference(e)) throw new InvalidImageNameError(image, messageOf(e));
      throw new ImagePullError(image, messageOf(e));
    }
  }

  subscribe(labels: Record<string, string>, handler: (event: RuntimeEvent) => void): () => void {
    const abort = new AbortController();
    this.subscriptions.add(abort);
    void this.eventLoop(labels, handler, abort.signal);
    return () => {
      abort.abort();
      this.subscriptions.delete(abort);
    };
  }

  async close(): Promise<void> {
    for (const a of this.subscriptions) a.abort();
    this.subscriptions.clear();
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * Follows the engine's event stream; reconnects with backoff when it ends or fails. Each request
   * asks for the events `since` the subscription (then since the last event seen), so none is lost
   * while the engine answers or the stream reconnects: the engine replays them. A replayed event is
   * only one more "sync this pod"; the 1 s margin covers timestamps rounded down to the second.
   */
  private async eventLoop(labels: Record<string, string>, handler: (e: RuntimeEvent) => void, signal: AbortSignal) {
    const backoff = new Backoff({ initialMs: 200, maxMs: 10_000 });
    const filters = {
      type: ['container' as const],
      event: ['start', 'die', 'destroy'],
      label: Object.entries(labels).map(([k, v]) => `${k}=${v}`),
    };
    let since = Math.floor(Date.now() / 1000) - 1;
    while (!signal.aborted) {
      try {
        const stream = (await this.docker.getEvents({ filters, since })) as unknown as NodeJS.ReadableStream & { destroy(): void };
        // Closed while the engine was answering: 'abort' has already fired, so end the stream here.
        if (signal.aborted) {
          stream.destroy();
          break;
        }
        const onAbort = () => stream.destroy();
        signal.addEventListener('abort', onAbort, { once: true });
        await new Promise<void>((resolve) => {
          let buffer = '';
          stream.on('data', (chunk: Buffer) => {
            backoff.reset();
            buffer += chunk.toString('utf8');
            let nl: number;
            while ((nl = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, nl).trim();
              buffer = buffer.slice(nl + 1);
              if (!line) continue;
              try {
                const ev = JSON.parse(line) as { Action?: string; status?: string; id?: string; time?: number; Actor?: { ID?: string; Attributes?: Record<string, string> } };
                if (typeof ev.time === 'number') since = ev.time;
                const type = (ev.Action ?? ev.status) as RuntimeEvent['type'];
                const id = ev.Actor?.ID ?? ev.id;
                if (!id || (type !== 'start' && type !== 'die' && type !== 'destroy')) continue;
                if (type === 'destroy') this.exitedCache.delete(id);
                handler({ type, id, labels: ev.Actor?.Attributes ?? {} });
              } catch (e) {
                this.log.warn({ err: messageOf(e) }, 'bad docker event line');
              }
            }
          });
          stream.on('end', resolve);
          stream.on('close', resolve);
          stream.on('error', () => resolve());
        });
        signal.removeEventListener('abort', onAbort);
      } catch (e) {
        this.log.warn({ err: messageOf(e) }, 'docker event stream failed');
      }
      if (!signal.aborted) await backoff.wait(signal);
    }
  }

  /** The engine's inspect of an image, shared by concurrent askers and kept a while when found. */
  private inspectImage(image: string): Promise<Docker.ImageInspectInfo> {
    const known = this.images.get(image);
    if (known && Date.now() - known.at < IMAGE_PRESENT_MS) return known.info;
    const info = this.docker.getImage(image).inspect();
    this.images.set(image, { at: Date.now(), info });
    // Only a found image is kept: a missing one is asked again (it may be pulled meanwhile).
    info.catch(() => {
      if (this.images.get(image)?.info === info) this.images.delete(image);
    });
    return info;
  }

  /** A create refused for a missing image: believe it present no longer. */
  private forgetImageIfMissing(image: string, e: unknown): void {
    if (statusOf(e) === 404) this.images.delete(image);
  }

  private async findNetwork(name: string): Promise<Docker.NetworkInspectInfo | undefined> {
    const nets = await this.docker.listNetworks({ filters: { name: [name] } }).catch((e) => {
      throw wrap(e, 'list networks');
    });
    const found = nets.find((n) => n.Name === name);
    if (!found) return undefined;
    return (await this.docker.getNetwork(found.Id).inspect()) as Docker.NetworkInspectInfo;
  }
}

function stateName(s: string | undefined): ContainerStateName {
  switch (s) {
    case 'running':
    case 'restarting':
    case 'paused':
      return 'running';
    case 'exited':
    case 'dead':
      return 'exited';
    case 'created':
      return 'created';
    default:
      return 'unknown';
  }
}

/** Docker's multiplexed log format: 8-byte headers (stream, 0, 0, 0, big-endian size) then payload. */
export function demuxBuffer(buf: Buffer): Buffer {
  if (!Buffer.isBuffer(buf)) return Buffer.from(String(buf ?? ''));
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i];
    if (type > 2 || buf[i + 1] !== 0 || buf[i + 2] !== 0 || buf[i + 3] !== 0) return buf; // not multiplexed (TTY)
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts);
}

function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number })?.statusCode;
}

function messageOf(e: unknown): string {
  const json = (e as { json?: { message?: string } })?.json;
  if (json?.message) return json.message;
  return e instanceof Error ? e.message : String(e);
}

/**
 * An image reference the engine will never take: node refuses to put it in a request path (a space:
 * ERR_UNESCAPED_CHARACTERS), or the engine answers "invalid reference format".
 */
function refusesReference(e: unknown): boolean {
  return (e as { code?: string })?.code === 'ERR_UNESCAPED_CHARACTERS' || /invalid reference format/i.test(messageOf(e));
}

function wrap(e: unknown, what: string): Error {
  if (e instanceof ContainerNotFoundError || e instanceof RuntimeError) return e;
  if (statusOf(e) !== 404) countRuntimeError(what);
  if (statusOf(e) === 404 && what.startsWith('start')) return new ContainerNotFoundError(what.split(' ').pop() ?? '');
  return new RuntimeError(`${what}: ${messageOf(e)}`, { cause: e });
}

function ignoreStatus(status: number) {
  return (e: unknown) => {
    if (statusOf(e) !== status) throw e;
  };
}
