// What the metrics pipeline costs the cluster (#23's bench), on the full density cluster of the scale
// bench, in one run: windows with the pipeline off and on, alternated, each process's CPU seconds
// read from /proc over each window. "On" is everything metrics collection adds:
//   - the hollow kubelets' stats collection (housekeeping reads every container's synthetic use from
//     the memory runtime, and the minion's as their total) and /stats/summary and /metrics on each
//     minion's port;
//   - the API server's metrics pipeline scraping every kubelet's summary for metrics.k8s.io (`top`);
//   - a Prometheus scraper (its own process, counted) fetching and parsing every process's /metrics
//     (--prometheus-every-kubelet: each hollow kubelet's port as a target of its own).
// The replication manager's autoscaler scrape runs only while an HPA exists, and none exists here.
import { realClock, type Pod } from '@coxswain/objects';
import type { ApiClient } from '@coxswain/client';
import type { BenchContext } from './bench-context';
import { spawnBenchChild, type BenchChild } from './bench-child';
import type { ApiServerReport, HollowControl } from './bench-roles';
import { hollowAddress } from './hollow-address';
import { fmt } from './figure-table';
import { readProcess } from './process-meter';
import { roundOrder, spreadOf } from './paired-rounds';

/** The issue's goal: collection adds less than 5% to the cluster's CPU. */
export const METRICS_CPU_GOAL_PERCENT = 5;

export interface MetricsCluster {
  etcdPid?: number;
  apiserver: BenchChild;
  api: ApiClient;
  scheduler?: BenchChild;
  replication?: BenchChild;
  hollow: BenchChild[];
}

type Cpu = Record<string, number>;

function cpuOf(pids: Record<string, number>): Cpu {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, readProcess(pid)?.cpuSeconds ?? 0]));
}

async function window(pids: Record<string, number>, ms: number): Promise<Cpu> {
  const before = cpuOf(pids);
  await realClock.sleep(ms);
  const after = cpuOf(pids);
  return Object.fromEntries(Object.keys(pids).map((n) => [n, after[n] - before[n]]));
}

const add = (into: Cpu, w: Cpu) => {
  for (const [n, v] of Object.entries(w)) into[n] = (into[n] ?? 0) + v;
};
const total = (c: Cpu) => Object.values(c).reduce((a, b) => a + b, 0);

export async function metricsPhase(ctx: BenchContext, cluster: MetricsCluster): Promise<void> {
  const { config, out, figures } = ctx;
  const prometheus = await spawnBenchChild('prometheus', { etcd: ctx.endpoint, intervalMs: config.prometheusIntervalMs }, { nodeArgs: config.childNodeArgs });
  try {
    const pids: Record<string, number> = {};
    if (cluster.etcdPid) pids.etcd = cluster.etcdPid;
    pids.apiserver = cluster.apiserver.pid;
    if (cluster.scheduler) pids.scheduler = cluster.scheduler.pid;
    if (cluster.replication) pids.replication = cluster.replication.pid;
    cluster.hollow.forEach((h, i) => (pids[cluster.hollow.length === 1 ? `hollow x${config.minions}` : `hollow #${i + 1}`] = h.pid));
    pids.prometheus = prometheus.pid;

    const targets = [
      `${cluster.apiserver.info.url}/metrics`,
      `${ctx.endpoint.replace(/\/$/, '')}/metrics`,
      ...[cluster.scheduler, cluster.replication].flatMap((c) => (c?.info.metricsUrl ? [String(c.info.metricsUrl)] : [])),
      // A hollow process's kubelets share one registry, so any of its ports serves the whole process:
      // one target per process, as the issue asks, unless every kubelet is asked to be a target (what
      // a real cluster's Prometheus would scrape: 1,000 renders of one kubelet's families).
      ...(config.prometheusEveryKubelet
        ? Array.from({ length: config.minions }, (_, i) => i)
        : cluster.hollow.map((h) => Number(h.info.first ?? 0))
      ).map((i) => `http://${hollowAddress(i)}:${config.hollowKubeletPort}/metrics`),
    ];
    const pipeline = async (on: boolean) => {
      const stats: HollowControl = { stats: on };
      if (on) {
        // Kubelets first, so that the first scrape finds them serving.
        await Promise.all(cluster.hollow.map((h) => h.control(stats)));
        await cluster.apiserver.control({ metrics: true });
        await prometheus.control({ targets });
      } else {
        await prometheus.control({ targets: [] });
        await cluster.apiserver.control({ metrics: false });
        await Promise.all(cluster.hollow.map((h) => h.control(stats)));
      }
    };

    // Pods still starting would load the first window and not the next: measure a steady cluster.
    const running = await waitAllRunning(ctx, config.minions * config.podsPerMinion);
    out(`metrics: ${running} pods Running before the windows`);

    // Rounds of two adjacent windows, the order swapped every round (paired-rounds.ts): one window
    // disturbed by a neighbour's suite moves one round's difference, not the median.
    const off: Cpu = {};
    const on: Cpu = {};
    const rounds: Array<{ off: number; on: number; addedPercent: number }> = [];
    let shown = { pods: 0, nodes: 0 };
    let state: boolean | undefined;
    const measure = async (want: boolean): Promise<Cpu> => {
      if (state !== want) {
        await pipeline(want);
        state = want;
        await realClock.sleep(config.metricsSettleMs);
      }
      const w = await window(pids, config.metricsWindowMs);
      add(want ? on : off, w);
      // Between windows, so the Metrics API's read is not counted: the cost measured is of a pipeline that works.
      if (want) {
        shown = await metricsShown(cluster.api);
        // Why figures would be missing: the scrape's last pass, and how late each process's event loop ran.
        const api = await cluster.apiserver.stats();
        const pass = (api?.report as ApiServerReport | undefined)?.metricsPass;
        const lags = await Promise.all([cluster.apiserver, ...cluster.hollow].map(async (c) => (await c.stats())?.eventLoopDelayMs?.p99 ?? NaN));
        out(`metrics: last scrape: ${pass?.answered ?? '?'} of ${pass?.minions ?? '?'} kubelets answered${pass?.error ? ` (first failure: ${pass.error})` : ''}; event-loop delay p99 ms: apiserver ${fmt(lags[0])}, hollow ${lags.slice(1).map(fmt).join(', ')}`);
      }
      return w;
    };
    for (let round = 1; round <= config.metricsRounds; round++) {
      const order = roundOrder(round);
      const w: Cpu[] = [];
      for (const want of order) w[Number(want)] = await measure(want);
      const [w0, w1] = [total(w[0]), total(w[1])];
      rounds.push({ off: w0, on: w1, addedPercent: ((w1 - w0) / w0) * 100 });
      out(`metrics: round ${round} (${order.map((o) => (o ? 'on' : 'off')).join(', ')}): cluster CPU ${fmt(w0)} s without, ${fmt(w1)} s with the pipeline over ${config.metricsWindowMs / 1000} s (${signed(rounds[rounds.length - 1].addedPercent)}%); metrics.k8s.io shows ${shown.pods} pods on ${shown.nodes} minions`);
    }
    await pipeline(false);
    const promReport = (await prometheus.stats())?.report as { scrapes: number; failures: number; samples: number } | undefined;

    const seconds = (config.metricsRounds * config.metricsWindowMs) / 1000;
    const sumPercent = ((total(on) - total(off)) / total(off)) * 100;
    const spread = spreadOf(rounds.map((r) => r.addedPercent));
    const addedPercent = spread.median;
    out(`metrics: ${seconds} s each way in ${config.metricsRounds} rounds; cluster ${fmt(total(off))} CPU s without, ${fmt(total(on))} s with (${signed(sumPercent)}% summed)`);
    out(`metrics: added CPU, median of the rounds' paired differences: ${signed(addedPercent)}% (goal < ${METRICS_CPU_GOAL_PERCENT}%); rounds ${rounds.map((r) => signed(r.addedPercent)).join(', ')}%; quartiles ${signed(spread.q1)}..${signed(spread.q3)}%`);
    out(`metrics: Prometheus scraped ${promReport?.scrapes ?? '?'} times (${promReport?.failures ?? '?'} failed) every ${config.prometheusIntervalMs / 1000} s over ${targets.length} targets`);
    ctx.results.metrics = {
      windowSeconds: config.metricsWindowMs / 1000,
      roundCount: config.metricsRounds,
      resolutionSeconds: config.metricsResolutionMs / 1000,
      prometheusIntervalSeconds: config.prometheusIntervalMs / 1000,
      cpuSecondsWithout: off,
      cpuSecondsWith: on,
      addedPercent,
      summedPercent: sumPercent,
      rounds: rounds,
      spreadPercent: spread,
      metricsApiShown: shown,
      prometheus: promReport,
    };
    for (const name of Object.keys(pids)) {
      figures.add({ section: 'metrics', name: `${name} CPU s with the pipeline (${seconds} s)`, value: on[name], unit: 's', against: 'without', againstValue: off[name] });
    }
    figures.add({ section: 'metrics', name: `cluster CPU s with the pipeline (${seconds} s)`, value: total(on), unit: 's', against: 'without', againstValue: total(off) });
    figures.add({ section: 'metrics', name: `CPU the pipeline adds, rounds' lowest and highest (${config.metricsRounds} rounds)`, value: spread.max, unit: '%', against: 'lowest', againstValue: spread.min });
    figures.atMost('metrics', `CPU the metrics pipeline adds at ${config.minions} minions x ${config.podsPerMinion} pods (median of ${config.metricsRounds} paired rounds)`, addedPercent, '%', METRICS_CPU_GOAL_PERCENT);
    figures.atLeast('metrics', 'pods with figures in metrics.k8s.io (the pipeline measured works)', shown.pods, 'pods', config.minions * config.podsPerMinion);
  } finally {
    await prometheus.stop();
  }
}

const signed = (x: number) => `${x >= 0 ? '+' : ''}${fmt(x)}`;

/** How many pods and minions the Metrics API has figures for (what `top` would show). */
async function metricsShown(api: ApiClient): Promise<{ pods: number; nodes: number }> {
  const count = async (path: string) => {
    const res = await fetch(`${api.server}/apis/metrics.k8s.io/v1beta1/${path}`);
    if (!res.ok) return 0;
    return ((await res.json()) as { items?: unknown[] }).items?.length ?? 0;
  };
  return { pods: await count('pods'), nodes: await count('nodes') };
}

/** Waits (up to 10 minutes) until `want` pods on the hollow minions are Running; how many are. */
async function waitAllRunning(ctx: BenchContext, want: number): Promise<number> {
  let running = 0;
  for (const deadline = Date.now() + 600_000; Date.now() < deadline; await realClock.sleep(10_000)) {
    const pods = await ctx.store.list<Pod>('pods');
    running = pods.items.filter((p) => p.status?.phase === 'Running' && p.spec.nodeSelector?.hollow === 'true').length;
    if (running >= want) break;
  }
  return running;
}
