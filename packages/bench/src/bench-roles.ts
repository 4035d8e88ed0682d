// The processes of the scale bench, one role per child process so that CPU and memory can be
// attributed: the API server, the scheduler, the replication manager, N hollow minions (real Kubelet
// code over MemoryRuntime, many in one process, like kubemark), and a few real Docker kubelets.
// A child says `{type:'ready', ...}` on its IPC channel once it serves, and stops on `{type:'stop'}`.
import { runApiServer } from '@coxswain/api';
import { Kubelet, KUBELET_WATCH_PROGRESS_MS, MemoryRuntime, runKubelet, startLogServer, StatsCollector, type LogServer, type RunningKubelet } from '@coxswain/kubelet';
import { runReplicationManager, runScheduler, type ReconcilerHandle } from '@coxswain/reconcilers';
import { createEtcdClient, EtcdStorage } from '@coxswain/store';
import { Registry, REGISTRY_MIRRORS } from '@coxswain/registry';
import { EventRecorder, type ScrapePass } from '@coxswain/client';
import { createLogger } from '@coxswain/process';
import type { Etcd3 } from 'etcd3';
import { monitorEventLoopDelay } from 'perf_hooks';
import { DockerTrace } from './docker-trace';
import { startWatchProbe, type WatchProbeOptions } from './watch-probe';
import { startPrometheus } from './prometheus-role';
import { startStatsServers, type StatsServersOptions } from './stats-servers-role';
import { hollowAddress } from './hollow-address';

export type BenchRole = 'apiserver' | 'scheduler' | 'replication' | 'hollow' | 'docker-kubelets' | 'watch-probe' | 'prometheus' | 'stats-servers';

export interface HollowOptions {
  etcd: string;
  count: number;
  /** Minion names are `<prefix><first + i>`. */
  prefix: string;
  /** Index of this process's first minion (several hollow processes share one numbering). */
  first?: number;
  /** Kubelets per etcd connection (real kubelets have one each; a few hundred streams per connection is fine). */
  perConnection?: number;
  resyncMs?: number;
  heartbeatMs?: number;
  /** The port of each minion's kubelet endpoint on its own 127.2.x.y address (default 10250); served only while stats are on. */
  kubeletPort?: number;
}

/** What the bench asks of the hollow minions: their stats pipeline (housekeeping + /stats/summary + /metrics) on or off. */
export interface HollowControl {
  stats: boolean;
}

export interface DockerKubeletsOptions {
  etcd: string;
  minions: { name: string; address: string; podCIDR: string }[];
  labels: Record<string, string>;
}

type Stopper = () => Promise<unknown>;
/** A started role: how to stop it, what it tells the bench when ready, and what it reports when asked. */
interface Role {
  stop: Stopper;
  info: unknown;
  report?: () => unknown;
  /** Answers the bench's `control` messages (e.g. turning a pipeline on or off). */
  control?: (body: never) => Promise<unknown>;
}

/** What the apiserver role reports with its stats: its memory after a full collection (with --expose-gc), the metrics pipeline's last pass. */
export interface ApiServerReport {
  memory?: NodeJS.MemoryUsage;
  metricsPass?: ScrapePass;
}

/** A hollow minion's memory (its capacity, and the total its stats report). */
const HOLLOW_MEMORY_BYTES = 64 * 2 ** 30;

async function startHollow(o: HollowOptions): Promise<Role> {
  const log = createLogger('hollow');
  const perConn = o.perConnection ?? 100;
  const clients: Etcd3[] = [];
  const stores: Registry[] = [];
  const kubelets: Kubelet[] = [];
  const recorders: EventRecorder[] = [];
  const runtimes: MemoryRuntime[] = [];
  for (let j = 0; j < o.count; j++) {
    const i = (o.first ?? 0) + j;
    if (j % perConn === 0) {
      const c = createEtcdClient([o.etcd]);
      clients.push(c);
      stores.push(new Registry(new EtcdStorage(c, { mirrors: REGISTRY_MIRRORS, watchProgressIntervalMs: KUBELET_WATCH_PROGRESS_MS })));
    }
    const store = stores[stores.length - 1];
    const name = `${o.prefix}${i}`;
    const recorder = new EventRecorder({ store, component: 'kubelet', host: name, logger: log });
    recorders.push(recorder);
    runtimes.push(new MemoryRuntime());
    kubelets.push(
      new Kubelet({
        minion: name,
        // Dialled only while the stats pipeline is on (the bench's metrics phase); containers live in memory.
        address: hollowAddress(i),
        port: o.kubeletPort ?? 10250,
        // Their own scheme, outside the API server's --cluster-cidr (172.30.0.0/16 has 256 /24s, not
        // 5,000; the Docker kubelets claim theirs there): this Registry has no pod CIDR allocator, so
        // the subnet is stored as sent.
        podCIDR: `10.${(i >> 8) & 255}.${i & 255}.0/24`,
        store,
        leaseStorage: store.storage,
        runtime: runtimes[j],
        recorder,
        capacity: { cpu: '32', memory: `${HOLLOW_MEMORY_BYTES / 2 ** 30}Gi`, pods: '110' },
        labels: { hollow: 'true' },
        resyncMs: o.resyncMs,
        heartbeatMs: o.heartbeatMs,
        logger: log,
      }),
    );
  }
  // Start in waves: 1,000 registrations at once would only queue up in etcd.
  const wave = 50;
  for (let i = 0; i < kubelets.length; i += wave) await Promise.all(kubelets.slice(i, i + wave).map((k) => k.start()));
  // The stats pipeline as a real kubelet runs it (run-kubelet.ts): housekeeping reads every container
  // (the memory runtime's synthetic use) and the minion, and the kubelet's port serves the summary.
  let pipeline: { collectors: StatsCollector[]; servers: LogServer[] } | undefined;
  const stopStats = async () => {
    const p = pipeline;
    pipeline = undefined;
    await Promise.all((p?.collectors ?? []).map((c) => c.stop()));
    await Promise.all((p?.servers ?? []).map((s) => s.close()));
  };
  const control = async (c: HollowControl) => {
    if (!c.stats) return stopStats();
    if (pipeline) return;
    const collectors = kubelets.map(
      (_, j) => new StatsCollector({ runtime: runtimes[j], minion: `${o.prefix}${(o.first ?? 0) + j}`, nodeUsage: () => runtimes[j].nodeUsage(HOLLOW_MEMORY_BYTES) }),
    );
    const servers: LogServer[] = [];
    pipeline = { collectors, servers };
    for (let j = 0; j < kubelets.length; j++) {
      const i = (o.first ?? 0) + j;
      servers.push(await startLogServer({ minion: `${o.prefix}${i}`, runtime: runtimes[j], host: hollowAddress(i), port: o.kubeletPort ?? 10250, summary: (view) => collectors[j].body(view), logger: log }));
    }
    for (const c of collectors) c.start();
  };
  return {
    info: { minions: kubelets.length, first: o.first ?? 0, connections: clients.length },
    control,
    stop: async () => {
      await stopStats();
      await Promise.all(kubelets.map((k) => k.stop()));
      await Promise.all(recorders.map((r) => r.flush()));
      await Promise.all(stores.map((s) => s.close()));
      for (const c of clients) c.close();
    },
  };
}

async function startDockerKubelets(o: DockerKubeletsOptions): Promise<Role> {
  // Every Engine API call the kubelets make, for the bench's per-step breakdown of pod startup.
  const trace = new DockerTrace().start();
  const running: RunningKubelet[] = [];
  for (const m of o.minions) {
    running.push(
      await runKubelet({ minion: m.name, address: m.address, podCIDR: m.podCIDR, etcdServers: o.etcd, runtime: 'docker', labels: o.labels, port: 10250, heartbeatMs: 10_000 }),
    );
  }
  return { info: { minions: running.length }, stop: () => Promise.all(running.map((r) => r.stop())), report: () => ({ dockerCalls: trace.take() }) };
}

/** Reconcilers serve /healthz and /metrics on a free loopback port (what Prometheus scrapes). */
const HEALTH_ON_LOOPBACK = { healthzPort: 0, healthzAddress: '127.0.0.1' };

async function startReconciler(h: ReconcilerHandle): Promise<Role> {
  await h.running;
  return { info: { name: h.name, metricsUrl: h.healthzUrl && `${h.healthzUrl}/metrics` }, stop: () => h.stop() };
}

export async function startRole(role: BenchRole, opts: Record<string, unknown>): Promise<Role> {
  const etcd = String(opts.etcd);
  switch (role) {
    case 'apiserver': {
      const h = await runApiServer({ etcdServers: etcd, address: '127.0.0.1', port: 0, metricsResolutionMs: Number(opts.metricsResolutionMs ?? 15_000), watchBufferBytes: opts.watchBufferBytes === undefined ? undefined : Number(opts.watchBufferBytes) });
      // The metrics pipeline is off until the bench turns it on (its cost is measured on its own).
      await h.metrics?.stop();
      const control = async (c: { metrics: boolean }) => (c.metrics ? h.metrics?.start() : h.metrics?.stop());
      // With --expose-gc (the watch-cache bench): memory after a full collection, what the server really keeps;
      // and the metrics pipeline's last pass (the metrics bench).
      const gc = (globalThis as { gc?: () => void }).gc;
      const report = (): ApiServerReport => ({ memory: gc && (gc(), process.memoryUsage()), metricsPass: h.metrics?.lastPass() });
      return { info: { url: h.url }, control, stop: () => h.close(), report };
    }
    case 'scheduler':
      return startReconciler(await runScheduler({ etcdServers: etcd, leaderElect: false, workers: Number(opts.workers ?? 32), ...HEALTH_ON_LOOPBACK }));
    case 'replication':
      return startReconciler(await runReplicationManager({ etcdServers: etcd, leaderElect: false, workers: Number(opts.workers ?? 16), ...HEALTH_ON_LOOPBACK }));
    case 'prometheus':
      return startPrometheus(Number(opts.intervalMs ?? 30_000));
    case 'hollow':
      return startHollow(opts as unknown as HollowOptions);
    case 'docker-kubelets':
      return startDockerKubelets(opts as unknown as DockerKubeletsOptions);
    case 'watch-probe':
      return startWatchProbe(opts as unknown as WatchProbeOptions);
    case 'stats-servers':
      return startStatsServers(opts as unknown as StatsServersOptions);
  }
}

/** The child's main: `<role> <json options>`; reports on the IPC channel. */
export function roleMain(argv: string[]): void {
  const [role, json] = argv;
  const send = (m: unknown) => process.send?.(m);
  startRole(role as BenchRole, JSON.parse(json ?? '{}')).then(
    ({ stop, info, report, control }) => {
      // How late this process's event loop ran (timers, I/O callbacks): a saturated process shows here.
      const lag = monitorEventLoopDelay({ resolution: 20 });
      lag.enable();
      send({ type: 'ready', info });
      process.on('message', (m: { type?: string }) => {
        if (m?.type === 'stats') {
          // The histogram holds whole timer intervals: the delay is what exceeds the 20 ms resolution.
          const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - 20) * 100) / 100);
          send({ type: 'stats', eventLoopDelayMs: { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max) }, report: report?.() });
          lag.reset();
          return;
        }
        if (m?.type === 'control') {
          const body = (m as { body?: unknown }).body as never;
          Promise.resolve(control ? control(body) : undefined).then(
            () => send({ type: 'control-done' }),
            (err) => send({ type: 'control-done', error: String(err instanceof Error ? err.message : err) }),
          );
          return;
        }
        if (m?.type !== 'stop') return;
        stop().then(
          () => process.exit(0),
          (err) => {
            console.error(`${role}: error while stopping: ${err instanceof Error ? err.stack : err}`);
            process.exit(1);
          },
        );
      });
      // The bench died without telling us: do not outlive it.
      process.on('disconnect', () => process.exit(0));
    },
    (err) => {
      console.error(`${role}: failed to start: ${err instanceof Error ? err.stack : err}`);
      send({ type: 'failed', error: String(err) });
      process.exit(1);
    },
  );
}

if (require.main === module) roleMain(process.argv.slice(2));
