// The kubelet's resource accounting (cAdvisor's part in 2014): it reads each running container of its
// minion and the minion itself, keeps the last two readings, and answers /stats/summary in the shape
// of Kubernetes' summary API (stats/v1alpha1). CPU is cumulative in the kernel, so a rate
// (usageNanoCores) exists once two readings do; memory is the latest reading.
// Readings are taken on demand, not on a timer: a summary asked for when the last reading is older
// than the housekeeping interval reads anew first (and a container is read when it starts, so its
// rate exists at the next scrape). With one scraper every 15 s that is one reading per scrape, not
// three, and a kubelet nobody asks reads nothing; the rate then spans the time since the reading
// before, as metrics-server's own rate spans its two scrapes. The rendered body is kept per reading,
// so scrapers that come within one interval share a render (docs/decisions.md).
// Nothing is written to etcd: the metrics pipeline scrapes this.
import { Clock, realClock } from '@coxswain/objects';
import type { Logger } from '@coxswain/process';
import { ContainerNotFoundError, type ContainerRuntime, type ContainerUsage, LABELS, SANDBOX_NAME } from './runtime';
import { readNodeUsage, type NodeUsage } from './node-usage';

export const DEFAULT_HOUSEKEEPING_MS = 5_000;
/** Readings closer together than this make no rate (a container's start reading right before a pass). */
const MIN_WINDOW_MS = 1_000;

export interface StatsCollectorOptions {
  runtime: ContainerRuntime;
  minion: string;
  clock?: Clock;
  /** The oldest reading a summary is served from (default 5 s; cAdvisor's housekeeping runs every 1-15 s). */
  intervalMs?: number;
  /** The minion's own use (default: /proc/stat and /proc/meminfo). */
  nodeUsage?: () => Promise<NodeUsage>;
  log?: Logger;
}

export interface CpuStats {
  time: string;
  /** Absent until two readings exist. */
  usageNanoCores?: number;
  usageCoreNanoSeconds: number;
}

export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes: number;
  workingSetBytes: number;
  rssBytes: number;
}

export interface ContainerSummary {
  name: string;
  startTime?: string;
  cpu: CpuStats;
  memory: MemoryStats;
}

export interface PodSummary {
  podRef: { name: string; namespace: string; uid: string };
  containers: ContainerSummary[];
  cpu: CpuStats;
  memory: MemoryStats;
}

export interface Summary {
  node: { nodeName: string; cpu?: CpuStats; memory?: MemoryStats };
  pods: PodSummary[];
}

/** Which summary /stats/summary serves: Kubernetes' whole shape, or `?only_usage=true`, what metrics.k8s.io reads. */
export type SummaryView = 'full' | 'usage';

interface Tracked {
  labels: Record<string, string>;
  /** The container's `"podRef":...,"containers":[{"name":...` start in the usage view, made once per container. */
  usagePrefix?: string;
  startTime?: string;
  previous?: ContainerUsage;
  latest: ContainerUsage;
}

export class StatsCollector {
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private containers = new Map<string, Tracked>();
  private node?: { previous?: NodeUsage; latest: NodeUsage };
  private unsubscribe?: () => void;
  private current?: Promise<void>;
  private following?: Promise<void>;
  /** When the last pass began (its readings are at least this recent), and a count of passes. */
  private passAt?: number;
  private passes = 0;
  private rendered: Partial<Record<SummaryView, { pass: number; body: string }>> = {};

  constructor(private readonly opts: StatsCollectorOptions) {
    this.clock = opts.clock ?? realClock;
    this.intervalMs = opts.intervalMs ?? DEFAULT_HOUSEKEEPING_MS;
  }

  start(): void {
    // A container that starts is read at once, so its rate exists at the next summary.
    this.unsubscribe = this.opts.runtime.subscribe({ [LABELS.minion]: this.opts.minion }, (e) => {
      if (e.type === 'start') void this.sample();
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await (this.following ?? this.current);
  }

  /**
   * A reading of every container and the minion that begins now or later: a pass already running
   * may have listed the containers before what asks (a container just started), so one more pass
   * follows it, shared by everything that asks meanwhile.
   */
  sample(): Promise<void> {
    if (!this.current) {
      this.current = this.readAll().finally(() => (this.current = undefined));
      return this.current;
    }
    this.following ??= this.current.then(() => {
      this.following = undefined;
      return this.sample();
    });
    return this.following;
  }

  /** /stats/summary's body: from a reading at most one interval old (read first otherwise), rendered once per reading. */
  async body(view: SummaryView): Promise<string> {
    if (this.passAt === undefined || this.clock.now() - this.passAt >= this.intervalMs) await this.sample();
    const cached = this.rendered[view];
    if (cached?.pass === this.passes) return cached.body;
    const body = view === 'usage' ? this.renderUsage() : JSON.stringify(this.summary());
    this.rendered[view] = { pass: this.passes, body };
    return body;
  }

  private async readAll(): Promise<void> {
    const { runtime, minion, log } = this.opts;
    this.passAt = this.clock.now();
    try {
      const listed = await runtime.listContainers({ [LABELS.minion]: minion });
      const running = listed.filter((c) => c.state === 'running' && c.labels[LABELS.container] !== SANDBOX_NAME);
      const next = new Map<string, Tracked>();
      await Promise.all(
        running.map(async (c) => {
          const usage = await runtime.usage(c.id).catch((e: unknown) => {
            if (!(e instanceof ContainerNotFoundError)) log?.warn({ container: c.id, err: (e as Error).message }, 'cannot read container usage');
            return undefined;
          });
          if (!usage) return;
          const before = this.containers.get(c.id);
          if (before && usage.timestampMs - before.latest.timestampMs < MIN_WINDOW_MS) return void next.set(c.id, before);
          next.set(c.id, { labels: c.labels, usagePrefix: before?.usagePrefix, startTime: c.startedAt ?? before?.startTime, previous: before?.latest, latest: usage });
        }),
      );
      this.containers = next;
    } catch (e) {
      log?.warn({ err: (e as Error).message }, 'cannot list containers for stats');
    }
    const reader = this.opts.nodeUsage ?? readNodeUsage;
    const node = await reader().catch(() => undefined);
    if (node) this.node = { previous: this.node?.latest, latest: node };
    this.passes++;
  }

  /**
   * The usage view, written out by hand rather than built as objects and stringified (a third of the
   * bytes and of the CPU, docs/benchmarks.md): per container its CPU rate and working set with the
   * reading's time, per minion the same; a pod without a rate for every container is left out, as
   * the pipeline would skip it. The result parses as a Summary with those fields only.
   */
  private renderUsage(): string {
    const n = this.node;
    const nodeCpu = n && cpuStats(n.previous && { timestampMs: n.previous.timestampMs, cpuUsageNanoSeconds: n.previous.cpuBusyNanoSeconds }, { timestampMs: n.latest.timestampMs, cpuUsageNanoSeconds: n.latest.cpuBusyNanoSeconds });
    let out = `{"node":{"nodeName":${JSON.stringify(this.opts.minion)}`;
    if (n && nodeCpu) out += `,"cpu":${usageCpu(nodeCpu.time, nodeCpu.usageNanoCores)},"memory":${usageMemory(nodeCpu.time, n.latest.memoryTotalBytes - n.latest.memoryAvailableBytes)}`;
    out += '},"pods":[';
    const byPod = new Map<string, Tracked[]>();
    for (const t of this.containers.values()) {
      const uid = t.labels[LABELS.podUid] ?? '';
      const list = byPod.get(uid);
      if (list) list.push(t);
      else byPod.set(uid, [t]);
    }
    let first = true;
    for (const list of byPod.values()) {
      const rates = list.map((t) => cpuStats(t.previous, t.latest));
      if (rates.some((r) => r.usageNanoCores === undefined)) continue;
      out += first ? '' : ',';
      first = false;
      list.forEach((t, i) => {
        t.usagePrefix ??= usagePrefix(t.labels);
        // The first container opens the pod; the others only their own object.
        out += i === 0 ? t.usagePrefix : `,{"name":${JSON.stringify(t.labels[LABELS.container] ?? '')}`;
        out += `,"cpu":${usageCpu(rates[i].time, rates[i].usageNanoCores)},"memory":${usageMemory(rates[i].time, t.latest.memoryWorkingSetBytes)}}`;
      });
      out += ']}';
    }
    return out + ']}';
  }

  summary(): Summary {
    const pods = new Map<string, PodSummary>();
    for (const t of this.containers.values()) {
      const uid = t.labels[LABELS.podUid] ?? '';
      let pod = pods.get(uid);
      if (!pod) {
        pod = {
          podRef: { name: t.labels[LABELS.podName] ?? '', namespace: t.labels[LABELS.namespace] ?? '', uid },
          containers: [],
          cpu: { time: iso(t.latest.timestampMs), usageCoreNanoSeconds: 0 },
          memory: { time: iso(t.latest.timestampMs), usageBytes: 0, workingSetBytes: 0, rssBytes: 0 },
        };
        pods.set(uid, pod);
      }
      const cpu = cpuStats(t.previous, t.latest);
      const memory = memoryStats(t.latest);
      pod.containers.push({ name: t.labels[LABELS.container] ?? '', startTime: t.startTime, cpu, memory });
      pod.cpu.usageCoreNanoSeconds += cpu.usageCoreNanoSeconds;
      pod.memory.usageBytes += memory.usageBytes;
      pod.memory.workingSetBytes += memory.workingSetBytes;
      pod.memory.rssBytes += memory.rssBytes;
    }
    // A pod's rate is known only when every container's is.
    for (const pod of pods.values()) {
      const rates = pod.containers.map((c) => c.cpu.usageNanoCores);
      pod.cpu.usageNanoCores = rates.every((r) => r !== undefined) ? rates.reduce((a, b) => a! + b!, 0) : undefined;
    }
    const n = this.node;
    return {
      node: {
        nodeName: this.opts.minion,
        cpu: n && cpuStats(n.previous && { timestampMs: n.previous.timestampMs, cpuUsageNanoSeconds: n.previous.cpuBusyNanoSeconds }, { timestampMs: n.latest.timestampMs, cpuUsageNanoSeconds: n.latest.cpuBusyNanoSeconds }),
        memory: n && {
          time: iso(n.latest.timestampMs),
          availableBytes: n.latest.memoryAvailableBytes,
          usageBytes: n.latest.memoryTotalBytes - n.latest.memoryFreeBytes,
          workingSetBytes: n.latest.memoryTotalBytes - n.latest.memoryAvailableBytes,
          rssBytes: n.latest.memoryTotalBytes - n.latest.memoryAvailableBytes,
        },
      },
      pods: [...pods.values()].sort((a, b) => `${a.podRef.namespace}/${a.podRef.name}`.localeCompare(`${b.podRef.namespace}/${b.podRef.name}`)),
    };
  }
}

function usagePrefix(labels: Record<string, string>): string {
  const s = (v: string | undefined) => JSON.stringify(v ?? '');
  return `{"podRef":{"name":${s(labels[LABELS.podName])},"namespace":${s(labels[LABELS.namespace])}},"containers":[{"name":${s(labels[LABELS.container])}`;
}

const usageCpu = (time: string, rate: number | undefined) => `{"time":"${time}"${rate === undefined ? '' : `,"usageNanoCores":${rate}`}}`;
const usageMemory = (time: string, workingSet: number) => `{"time":"${time}","workingSetBytes":${workingSet}}`;

type CpuReading = Pick<ContainerUsage, 'timestampMs' | 'cpuUsageNanoSeconds'>;

function cpuStats(previous: CpuReading | undefined, latest: CpuReading): CpuStats {
  const seconds = previous ? (latest.timestampMs - previous.timestampMs) / 1000 : 0;
  const rate = previous && seconds > 0 ? Math.max(0, Math.round((latest.cpuUsageNanoSeconds - previous.cpuUsageNanoSeconds) / seconds)) : undefined;
  return { time: iso(latest.timestampMs), usageNanoCores: rate, usageCoreNanoSeconds: latest.cpuUsageNanoSeconds };
}

function memoryStats(u: ContainerUsage): MemoryStats {
  return { time: iso(u.timestampMs), usageBytes: u.memoryUsageBytes, workingSetBytes: u.memoryWorkingSetBytes, rssBytes: u.memoryRssBytes };
}

/** Readings of one pass share their millisecond more often than not: the last conversion is kept. */
let lastIso = { ms: NaN, text: '' };
function iso(ms: number): string {
  if (ms !== lastIso.ms) lastIso = { ms, text: new Date(ms).toISOString() };
  return lastIso.text;
}
