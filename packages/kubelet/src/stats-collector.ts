// The kubelet's resource accounting (cAdvisor's part in 2014): every housekeeping interval it reads
// each running container of its minion and the minion itself, keeps the last two readings, and
// answers /stats/summary in the shape of Kubernetes' summary API (stats/v1alpha1). CPU is cumulative
// in the kernel, so a rate (usageNanoCores) exists once two readings do; memory is the latest reading.
// Nothing is written to etcd: the metrics pipeline scrapes this.
import { Clock, realClock } from '@coxswain/objects';
import { PeriodicTask } from '@coxswain/client';
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
  /** Between two readings (default 5 s; cAdvisor's housekeeping runs every 1-15 s). */
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

interface Tracked {
  labels: Record<string, string>;
  startTime?: string;
  previous?: ContainerUsage;
  latest: ContainerUsage;
}

export class StatsCollector {
  private readonly task: PeriodicTask;
  private containers = new Map<string, Tracked>();
  private node?: { previous?: NodeUsage; latest: NodeUsage };
  private unsubscribe?: () => void;

  constructor(private readonly opts: StatsCollectorOptions) {
    this.task = new PeriodicTask(() => this.readAll(), opts.intervalMs ?? DEFAULT_HOUSEKEEPING_MS, opts.clock ?? realClock);
  }

  start(): void {
    // A container that starts is read at once, so its rate exists one interval later, not two.
    this.unsubscribe = this.opts.runtime.subscribe({ [LABELS.minion]: this.opts.minion }, (e) => {
      if (e.type === 'start') void this.sample();
    });
    this.task.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.task.stop();
  }

  /** One housekeeping pass (a pass still running is not doubled). */
  sample(): Promise<void> {
    return this.task.runNow();
  }

  private async readAll(): Promise<void> {
    const { runtime, minion, log } = this.opts;
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
          next.set(c.id, { labels: c.labels, startTime: c.startedAt ?? before?.startTime, previous: before?.latest, latest: usage });
        }),
      );
      this.containers = next;
    } catch (e) {
      log?.warn({ err: (e as Error).message }, 'cannot list containers for stats');
    }
    const reader = this.opts.nodeUsage ?? readNodeUsage;
    const node = await reader().catch(() => undefined);
    if (node) this.node = { previous: this.node?.latest, latest: node };
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

type CpuReading = Pick<ContainerUsage, 'timestampMs' | 'cpuUsageNanoSeconds'>;

function cpuStats(previous: CpuReading | undefined, latest: CpuReading): CpuStats {
  const seconds = previous ? (latest.timestampMs - previous.timestampMs) / 1000 : 0;
  const rate = previous && seconds > 0 ? Math.max(0, Math.round((latest.cpuUsageNanoSeconds - previous.cpuUsageNanoSeconds) / seconds)) : undefined;
  return { time: iso(latest.timestampMs), usageNanoCores: rate, usageCoreNanoSeconds: latest.cpuUsageNanoSeconds };
}

function memoryStats(u: ContainerUsage): MemoryStats {
  return { time: iso(u.timestampMs), usageBytes: u.memoryUsageBytes, workingSetBytes: u.memoryWorkingSetBytes, rssBytes: u.memoryRssBytes };
}

const iso = (ms: number) => new Date(ms).toISOString();
