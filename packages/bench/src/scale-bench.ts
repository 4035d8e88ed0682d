// `npm run bench -- scale [--quick | --profile k8s-limits] [--cpu-prof[=ROLE,...]] [--minions N] [--pods-per-minion N] [--no-docker]`:
// the scale benchmark (profiles and their goals: bench-context.ts). One run, one etcd, each component in its own process:
//   1. limit      raw etcd CAS txn/s at 1 and 64 in flight; bare Docker create+start of the test image
//   2. scheduler  the scheduler alone binding pending pods (no kubelets)
//   3. docker     real Docker kubelets: single-pod controllers one a second (when an engine answers)
//   4. density    N hollow minions (real Kubelet over MemoryRuntime, all in one process) and
//                 replication controllers for P pods per minion: time to all Running, rates,
//                 startup latency split, etcd writes per pod; idle cost before and after; then
//                 "latency pods" created one at a time on the full cluster for the startup SLO
//   5. api        latency of GET/LIST/POST/PUT/DELETE and watch delivery under churn, full cluster
//   6. metrics    CPU seconds of every process with the metrics pipeline off and on (metrics-phase.ts)
//   7. cost       CPU seconds and peak RSS of every process
// Output: bench-results/<timestamp>.json, <timestamp>-running.svg, and a markdown table on stdout.
import { realClock } from '@coxswain/objects';
import { ApiClient } from '@coxswain/client';
import { createRetrying } from './create-retrying';
import { EtcdStorage } from '@coxswain/store';
import { Registry, REGISTRY_MIRRORS } from '@coxswain/registry';
import { startEtcd } from '@coxswain/testing';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { API_NS, apiLatencyPhase, CHURN_NS } from './api-latency-phase';
import { BenchContext, countKeys, inParallel, keyWritesOf, PROFILES, revisionOf, ScaleConfig } from './bench-context';
import { spawnBenchChild, type BenchChild } from './bench-child';
import { dockerAvailable, imagePresent, timeCreateStart } from './docker-engine';
import { DOCKER_NS, dockerPhase } from './docker-phase';
import { measureCas } from './etcd-limit';
import { FigureTable, fmt } from './figure-table';
import { LatencySamples } from './latency-samples';
import { LATENCY_NS, latencyPodsPhase } from './latency-pods-phase';
import { metricsPhase } from './metrics-phase';
import { PodTracker } from './pod-tracker';
import { coresUsed, findPid, ProcessMeter } from './process-meter';
import { renderChart } from './running-chart';
import { schedulerPhase } from './scheduler-phase';

export const E2E_FRACTION_GOAL = 0.6;

const repoRoot = path.resolve(__dirname, '../../..');
const DENSITY_NS = 'density';

export interface ScaleBenchResult {
  file: string;
  chart: string;
  results: Record<string, unknown>;
  markdown: string;
}

function parseArgs(argv: string[]): { config: ScaleConfig; outDir: string; docker: boolean } {
  const profileIdx = argv.indexOf('--profile');
  const profile = argv.includes('--quick') ? 'quick' : profileIdx >= 0 ? argv[profileIdx + 1] : 'default';
  if (!PROFILES[profile]) throw new Error(`--profile ${JSON.stringify(profile)}: no such profile (one of ${Object.keys(PROFILES).join(', ')})`);
  const config: ScaleConfig = { ...PROFILES[profile] };
  const num = (flag: string): number | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  config.minions = num('--minions') ?? config.minions;
  config.podsPerMinion = num('--pods-per-minion') ?? config.podsPerMinion;
  config.namespaces = num('--namespaces') ?? config.namespaces;
  config.hollowResyncMs = num('--resync-ms') ?? config.hollowResyncMs;
  config.hollowProcesses = num('--hollow-processes') ?? config.hollowProcesses;
  config.schedulerMinions = num('--scheduler-minions') ?? config.schedulerMinions;
  config.schedulerPods = num('--scheduler-pods') ?? config.schedulerPods;
  config.metricsWindowMs = (num('--metrics-window-s') ?? config.metricsWindowMs / 1000) * 1000;
  config.metricsRounds = num('--metrics-rounds') ?? config.metricsRounds;
  config.prometheusEveryKubelet = argv.includes('--prometheus-every-kubelet');
  const phasesIdx = argv.indexOf('--phases');
  if (phasesIdx >= 0) config.phases = argv[phasesIdx + 1].split(',').filter(Boolean);
  const outIdx = argv.indexOf('--out');
  const outDir = outIdx >= 0 ? path.resolve(argv[outIdx + 1]) : path.join(repoRoot, 'bench-results');
  return { config, outDir, docker: !argv.includes('--no-docker') };
}

/** The namespace of controller i: `density` alone, or `density-<k>` when spread over several. */
function densityNamespace(i: number, config: ScaleConfig): string {
  return config.namespaces <= 1 ? DENSITY_NS : `${DENSITY_NS}-${i % config.namespaces}`;
}

function rc(name: string, namespace: string, replicas: number) {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name, namespace, labels: { bench: 'density' } },
    spec: {
      replicas,
      selector: { rc: name },
      template: {
        metadata: { labels: { rc: name, bench: 'density' } },
        spec: {
          containers: [{ name: 'sleep', image: 'coxswain/busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
          restartPolicy: 'Always',
          nodeSelector: { hollow: 'true' },
        },
      },
    },
  };
}

async function limitPhase(ctx: BenchContext, docker: boolean): Promise<{ cas64: number; bareP50?: number }> {
  const { config, client, out, figures } = ctx;
  await measureCas(client, 64, Math.min(2000, config.casTxns[1]), '/bench/warm/'); // warm up connection and JIT
  const one = await measureCas(client, 1, config.casTxns[0]);
  const many = await measureCas(client, 64, config.casTxns[1]);
  out(`limit: etcd CAS ${Math.round(one.perSecond)} txn/s at 1 in flight, ${Math.round(many.perSecond)} txn/s at 64`);
  figures.add({ section: 'limit', name: 'etcd CAS txn/s, 1 in flight', value: one.perSecond, unit: 'txn/s' });
  figures.add({ section: 'limit', name: 'etcd CAS txn/s, 64 in flight', value: many.perSecond, unit: 'txn/s' });
  const limit: Record<string, unknown> = { cas1: one, cas64: many };
  let bareP50: number | undefined;
  if (docker) {
    const samples = new LatencySamples();
    await timeCreateStart('coxswain/busybox', ['sleep', '3600'], { 'coxswain.bench': 'limit' }); // warm
    for (let i = 0; i < config.dockerSamples; i++) samples.add(await timeCreateStart('coxswain/busybox', ['sleep', '3600'], { 'coxswain.bench': 'limit' }));
    const s = samples.summary();
    bareP50 = s.p50;
    limit.dockerCreateStart = s;
    out(`limit: bare docker create+start of coxswain/busybox p50 ${s.p50.toFixed(0)} ms, p99 ${s.p99.toFixed(0)} ms`);
    figures.add({ section: 'limit', name: 'bare docker create+start p50', value: s.p50, unit: 'ms' });
  }
  ctx.results.limit = limit;
  return { cas64: many.perSecond, bareP50 };
}

async function ensureImages(out: (l: string) => void): Promise<boolean> {
  if (!(await dockerAvailable())) {
    out('docker: no engine answers on /var/run/docker.sock: the Docker figures are skipped');
    return false;
  }
  if ((await imagePresent('coxswain/busybox')) && (await imagePresent('coxswain/pause'))) return true;
  out('docker: building coxswain/busybox and coxswain/pause (e2e/images/build.sh)');
  try {
    execFileSync('bash', [path.join(repoRoot, 'e2e/images/build.sh'), 'busybox', 'pause'], { stdio: 'inherit' });
    return true;
  } catch (err) {
    out(`docker: could not build the test images (${err instanceof Error ? err.message : err}): the Docker figures are skipped`);
    return false;
  }
}

/** etcd's database at the end of the run (what compaction left, and what it holds in use), and its keys. */
async function reportEtcdDatabase(ctx: BenchContext): Promise<void> {
  const status = await ctx.store.storage.dbStatus!();
  const keys = await countKeys(ctx.client, '/');
  const mib = (b: number) => b / 1024 ** 2;
  ctx.results.etcdDatabase = { ...status, keys };
  ctx.figures.add({ section: 'cost', name: `etcd database size at the end (${keys} keys)`, value: mib(status.dbSizeBytes), unit: 'MiB', against: 'in use', againstValue: mib(status.dbSizeInUseBytes) });
  ctx.out(`etcd: database ${mib(status.dbSizeBytes).toFixed(0)} MiB, ${mib(status.dbSizeInUseBytes).toFixed(0)} MiB in use, ${keys} keys`);
}

/** The hollow processes' cores over the idle window, and etcd's write txns and key writes a second meanwhile. */
async function idleWindow(ctx: BenchContext, hollow: BenchChild[]): Promise<{ idle: Awaited<ReturnType<typeof coresUsed>>; txnsPerSec: number; keyWritesPerSec: number }> {
  const rv0 = await revisionOf(ctx.client);
  const kw0 = await keyWritesOf(ctx.endpoint);
  const idle = await coresUsed(hollow.map((h) => h.pid), () => realClock.sleep(ctx.config.idleWindowMs));
  const txnsPerSec = ((await revisionOf(ctx.client)) - rv0) / idle.wallSeconds;
  const keyWritesPerSec = ((await keyWritesOf(ctx.endpoint)) - kw0) / idle.wallSeconds;
  return { idle, txnsPerSec, keyWritesPerSec };
}

async function densityPhase(ctx: BenchContext, api: ApiClient, hollow: BenchChild[], cas64: number): Promise<{ podNames: string[]; selectors: string[]; tracker: PodTracker }> {
  const { config, client, out, figures, meter } = ctx;
  const total = config.minions * config.podsPerMinion;
  const controllers = Math.ceil(total / config.replicasPerController);

  // Idle cost of the hollow minions (no pods yet), and etcd's background write rate (heartbeats).
  const { idle, txnsPerSec: backgroundWritesPerSec, keyWritesPerSec: backgroundKeyWritesPerSec } = await idleWindow(ctx, hollow);
  out(`idle: ${config.minions} hollow minions use ${idle.cores.toFixed(3)} cores; background etcd txns ${backgroundWritesPerSec.toFixed(1)}/s, key writes ${backgroundKeyWritesPerSec.toFixed(1)}/s`);
  figures.atMost('cost', `${config.minions} idle hollow minions (no pods)`, idle.cores, 'cores', config.goals.idleCores);

  const startRev = await ctx.store.currentRevision();
  const startKeyWrites = await keyWritesOf(ctx.endpoint);
  const tracker = new PodTracker(ctx.store, (p) => (p.metadata.namespace ?? '').startsWith(DENSITY_NS));
  tracker.start(startRev);
  const cpuBefore = meter.cpu();
  const t0 = Date.now();
  const names = Array.from({ length: controllers }, (_, i) => `rc-${i}`);
  await inParallel(names, 8, (name, i) => {
    const namespace = densityNamespace(i, config);
    return createRetrying(() => api.create('replicationControllers', rc(name, namespace, Math.min(config.replicasPerController, total - i * config.replicasPerController)), { namespace }));
  });
  const rcSeconds = (Date.now() - t0) / 1000;
  let lastLog = Date.now();
  const allRunning = await tracker.waitRunning(total, config.densityTimeoutMs, () => {
    if (Date.now() - lastLog < 5000) return;
    lastLog = Date.now();
    out(`density: ${((Date.now() - t0) / 1000).toFixed(0)} s: created ${tracker.counts.created}, scheduled ${tracker.counts.scheduled}, Running ${tracker.counts.running} of ${total}`);
  });
  const seconds = (Date.now() - t0) / 1000;
  const endRev = await revisionOf(client);
  const keyWrites = (await keyWritesOf(ctx.endpoint)) - startKeyWrites;
  const cpuAfter = meter.cpu();
  await tracker.stop();
  const rates = tracker.rates();
  const lat = tracker.latency();
  // Two counts per pod: etcd txns (revisions; what batching lowers) and keys written (objects; what
  // the end-to-end goal divides by, so that batching several objects a txn counts in its favour).
  const txns = endRev - Number(startRev);
  const txnsPerPod = txns / Math.max(1, rates.running);
  const netTxnsPerPod = Math.max(0, txns - backgroundWritesPerSec * seconds) / Math.max(1, rates.running);
  const writesPerPod = keyWrites / Math.max(1, rates.running);
  const netWritesPerPod = Math.max(0, keyWrites - backgroundKeyWritesPerSec * seconds) / Math.max(1, rates.running);
  const since = (t: number) => Math.max(0.001, (t - t0) / 1000);
  const createdPerSec = rates.created / since(rates.lastCreated);
  const boundPerSec = rates.scheduled / since(rates.lastScheduled);
  const runningPerSec = rates.running / since(rates.lastRunning);
  const boundKeys = await countKeys(client, '/registry/boundpods/');
  const cpu: Record<string, number> = {};
  for (const k of Object.keys(cpuAfter)) cpu[k] = cpuAfter[k] - (cpuBefore[k] ?? 0);
  out(
    `density: ${rates.running}/${total} Running in ${seconds.toFixed(1)} s${allRunning ? '' : ' (timed out)'}; created ${createdPerSec.toFixed(0)}/s, bound ${boundPerSec.toFixed(0)}/s, Running ${runningPerSec.toFixed(0)}/s; ` +
      `startup p50/p90/p99 ${lat.total.p50.toFixed(0)}/${lat.total.p90.toFixed(0)}/${lat.total.p99.toFixed(0)} ms; etcd key writes/pod ${writesPerPod.toFixed(2)} (${netWritesPerPod.toFixed(2)} net of heartbeats) in ${netTxnsPerPod.toFixed(2)} txns/pod`,
  );
  ctx.results.density = {
    minions: config.minions,
    pods: total,
    controllers,
    controllersCreatedInSeconds: rcSeconds,
    allRunning,
    secondsToAllRunning: allRunning ? (rates.lastRunning - t0) / 1000 : null,
    counts: tracker.counts,
    boundKeys,
    perSecond: { created: createdPerSec, bound: boundPerSec, running: runningPerSec },
    startup: lat,
    etcd: { revisions: txns, txnsPerPod, netTxnsPerPod, keyWrites, writesPerPod, netWritesPerPod, backgroundWritesPerSec, backgroundKeyWritesPerSec },
    cpuSecondsByProcess: cpu,
    idleHollowNoPods: idle,
    timeline: tracker.timeline,
  };
  const e2eGoal = E2E_FRACTION_GOAL * (cas64 / Math.max(1, netWritesPerPod));
  figures.atMost('density', `time until all ${total} pods Running on ${config.minions} minions`, allRunning ? (rates.lastRunning - t0) / 1000 : Infinity, 's', config.goals.densitySeconds);
  figures.add({ section: 'density', name: 'pods created/s (replication manager)', value: createdPerSec, unit: 'pods/s', against: 'etcd CAS txn/s at 64', againstValue: cas64 });
  figures.add({ section: 'density', name: 'pods bound/s (scheduler, end to end)', value: boundPerSec, unit: 'pods/s', against: 'etcd CAS txn/s at 64', againstValue: cas64 });
  figures.atLeast('density', 'pods Running/s end to end', runningPerSec, 'pods/s', e2eGoal, { label: `0.6 x etcd txn/s / writes per pod = 0.6 x ${Math.round(cas64)} / ${netWritesPerPod.toFixed(2)}`, value: e2eGoal });
  figures.add({ section: 'density', name: 'etcd key writes per pod (net of heartbeats)', value: netWritesPerPod, unit: 'writes', against: 'raw, with heartbeats', againstValue: writesPerPod });
  figures.add({ section: 'density', name: 'etcd txns per pod (net of heartbeats)', value: netTxnsPerPod, unit: 'txns', against: 'key writes per pod', againstValue: netWritesPerPod });
  // The saturation pods' latency is mostly queueing behind the pods created before them; the SLO is
  // held against the latency pods measured next (latency-pods-phase.ts).
  figures.add({ section: 'density', name: 'saturation pods startup p50 / p99', value: lat.total.p99, unit: 'ms', against: 'p50', againstValue: lat.total.p50 });
  figures.add({ section: 'density', name: 'create -> scheduled p50 / p99', value: lat.createToScheduled.p99, unit: 'ms', against: 'p50', againstValue: lat.createToScheduled.p50 });
  figures.add({ section: 'density', name: 'scheduled -> running p50 / p99', value: lat.scheduledToRunning.p99, unit: 'ms', against: 'p50', againstValue: lat.scheduledToRunning.p50 });
  figures.add({ section: 'density', name: 'running -> observed p50 / p99', value: lat.runningToObserved.p99, unit: 'ms', against: 'p50', againstValue: lat.runningToObserved.p50 });

  // Names for the API phase: every 97th pod, and one selector per controller sampled.
  const pods = await ctx.store.list('pods', config.namespaces <= 1 ? { namespace: DENSITY_NS } : {});
  const podNames = pods.items.filter((p, i) => i % 97 === 0 && (p.metadata.namespace ?? '').startsWith(DENSITY_NS)).map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
  const selectors = names.filter((_, i) => i % 13 === 0).map((n) => `rc=${n}`);
  return { podNames, selectors, tracker };
}

/** The profile's goals that no phase holds its figures against (the scheduler's and the API's own goals are the default's). */
function profileGoals(ctx: BenchContext): void {
  const { config, results, figures } = ctx;
  const scheduler = results.scheduler as { podsPerSecond: number; minions: number } | undefined;
  if (config.goals.schedulerPodsPerSec && scheduler) {
    figures.atLeast(config.profile, `scheduler alone at ${scheduler.minions} minions`, scheduler.podsPerSecond, 'pods/s', config.goals.schedulerPodsPerSec);
  }
  const listAll = (results.api as { listAll?: { items: number; p50: number } } | undefined)?.listAll;
  if (config.goals.listAllMs && listAll) figures.atMost(config.profile, `LIST all ${listAll.items} pods p50`, listAll.p50, 'ms', config.goals.listAllMs);
}

function writeOutputs(outDir: string, results: Record<string, unknown>, figures: FigureTable, tracker: PodTracker | undefined, config: ScaleConfig): { file: string; chart: string } {
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-') + (config.profile === 'default' ? '' : `-${config.profile}`);
  const file = path.join(outDir, `${stamp}.json`);
  const chart = path.join(outDir, `${stamp}-running.svg`);
  fs.writeFileSync(file, JSON.stringify({ ...results, figures: figures.figures }, null, 2) + '\n');
  const tl = tracker?.timeline ?? [];
  const series = (idx: 1 | 2 | 3) => tl.map((p) => [p[0] / 1000, p[idx]] as [number, number]);
  const total = config.minions * config.podsPerMinion;
  fs.writeFileSync(
    chart,
    renderChart(`${total} pods on ${config.minions} hollow minions`, [
      { name: 'created', color: '#1f77b4', points: series(1) },
      { name: 'scheduled', color: '#ff7f0e', points: series(2) },
      { name: 'Running', color: '#2ca02c', points: series(3) },
    ], { goalSeconds: config.goals.densitySeconds, target: total }),
  );
  return { file, chart };
}

function costTable(summary: ReturnType<ProcessMeter['summary']>): string {
  const rows = ['| process | pid | CPU s | peak RSS MiB |', '| --- | ---: | ---: | ---: |'];
  for (const [name, s] of Object.entries(summary)) rows.push(`| ${name} | ${s.pid} | ${fmt(s.cpuSeconds)} | ${fmt(s.peakRssBytes / 1024 ** 2)} |`);
  return rows.join('\n');
}

export async function runScaleBench(argv: string[] = [], out: (line: string) => void = (l) => console.log(l)): Promise<ScaleBenchResult> {
  const { config, outDir, docker: wantDocker } = parseArgs(argv);
  // --cpu-prof profiles every child; --cpu-prof=apiserver,scheduler only those roles (a profiled process
  // runs slower, and 10 profiled hollow processes took CPU from etcd until it missed its deadlines).
  const prof = argv.find((a) => a === '--cpu-prof' || a.startsWith('--cpu-prof='));
  if (prof) {
    const dir = path.join(outDir, `prof-${Date.now()}`);
    const roles = prof.includes('=') ? prof.slice(prof.indexOf('=') + 1).split(',') : undefined;
    config.childNodeArgs = (role) => (!roles || roles.includes(role) ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []);
    out(`profiles of ${roles ? roles.join(', ') : 'every child process'} go to ${dir}`);
  }
  const started = Date.now();
  const meter = new ProcessMeter();
  const figures = new FigureTable();
  const results: Record<string, unknown> = { startedAt: new Date().toISOString(), config, host: { cpus: require('os').cpus().length, node: process.version } };
  const etcd = await startEtcd({ clientOptions: { callTimeoutMs: 30_000 } });
  const children: BenchChild[] = [];
  const client = etcd.client();
  const store = new Registry(new EtcdStorage(client, { callTimeoutMs: 30_000, mirrors: REGISTRY_MIRRORS }));
  const ctx: BenchContext = { config, etcd, endpoint: etcd.endpoints[0], client, store, meter, figures, results, out };
  let tracker: PodTracker | undefined;
  // Ctrl-C: exit at once; etcd is killed by its harness on exit, the children see their IPC
  // channel close and exit too. Only the etcd data dir needs removing here.
  const onSignal = () => {
    fs.rmSync(etcd.dataDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const etcdPid = findPid(etcd.dataDir);
    if (etcdPid) meter.add('etcd', etcdPid);
    meter.add('bench (clients)', process.pid);
    meter.start(1000);
    const docker = wantDocker && (await ensureImages(out));
    const { cas64, bareP50 } = await limitPhase(ctx, docker);

    const apiserver = await spawnBenchChild('apiserver', { etcd: ctx.endpoint, metricsResolutionMs: config.metricsResolutionMs }, { nodeArgs: config.childNodeArgs });
    children.push(apiserver);
    meter.add('apiserver', apiserver.pid);
    const api = new ApiClient({ server: String(apiserver.info.url), version: 'v1', timeoutMs: 60_000 });
    // The API takes objects only into namespaces that exist (NamespaceLifecycle).
    const densityNamespaces = new Set(Array.from({ length: Math.max(1, config.namespaces) }, (_, i) => densityNamespace(i, config)));
    for (const name of [CHURN_NS, API_NS, LATENCY_NS, DOCKER_NS, ...densityNamespaces]) await ctx.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const has = (phase: string) => config.phases.includes(phase);
    let scheduler: BenchChild;
    if (has('scheduler')) children.push((scheduler = await schedulerPhase(ctx)));
    else {
      scheduler = await spawnBenchChild('scheduler', { etcd: ctx.endpoint, workers: 32 }, { nodeArgs: config.childNodeArgs });
      children.push(scheduler);
      meter.add('scheduler', scheduler.pid);
    }
    let replication: BenchChild | undefined;
    const runDocker = docker && bareP50 !== undefined && has('docker');
    if (has('density') || runDocker) {
      replication = await spawnBenchChild('replication', { etcd: ctx.endpoint }, { nodeArgs: config.childNodeArgs });
      children.push(replication);
      meter.add('replication', replication.pid);
    }
    if (runDocker) await dockerPhase(ctx, api, bareP50!);
    if (has('density')) {
      const t0 = Date.now();
      // The hollow minions: one process (like kubemark's), or a few (--hollow-processes) sharing the numbering.
      // One after another: started side by side, 10 processes' registration bursts timed etcd out
      // (5 s deadlines, "etcdserver: request timed out") on a busy machine and nothing registered.
      const hollow: BenchChild[] = [];
      const per = Math.ceil(config.minions / config.hollowProcesses);
      for (let first = 0; first < config.minions; first += per) {
        const count = Math.min(per, config.minions - first);
        const h = await spawnBenchChild('hollow', { etcd: ctx.endpoint, count, first, prefix: 'hollow-', resyncMs: config.hollowResyncMs, kubeletPort: config.hollowKubeletPort }, { nodeArgs: config.childNodeArgs, startTimeoutMs: Math.max(300_000, count * 2000) });
        children.push(h);
        hollow.push(h);
        meter.add(config.hollowProcesses === 1 ? `hollow x${config.minions}` : `hollow x${count} #${hollow.length}`, h.pid);
      }
      // A kubelet's start() does not wait for its first heartbeat: wait for every Minion object.
      let registered = 0;
      for (const deadline = Date.now() + Math.max(120_000, config.minions * 60); Date.now() < deadline; await realClock.sleep(100)) {
        registered = await countKeys(client, '/registry/minions/hollow-');
        if (registered >= config.minions) break;
      }
      out(`hollow: ${registered} minions registered in ${((Date.now() - t0) / 1000).toFixed(1)} s (${hollow.reduce((n, h) => n + Number(h.info.connections), 0)} etcd connections, ${hollow.length} process(es))`);
      results.hollowStartSeconds = (Date.now() - t0) / 1000;

      const lagNow = async () => Object.fromEntries(await Promise.all(children.map(async (c) => [c.role === 'hollow' && hollow.length > 1 ? `hollow#${hollow.indexOf(c) + 1}` : c.role, (await c.stats())?.eventLoopDelayMs] as const)));
      await lagNow(); // reset: measure the density phase alone
      const d = await densityPhase(ctx, api, hollow, cas64);
      tracker = d.tracker;
      const latencyPods = await latencyPodsPhase(ctx, api);
      (results.density as Record<string, unknown>).latencyPods = latencyPods;
      const complete = latencyPods.running === latencyPods.pods;
      figures.add({ section: 'density', name: 'latency pods startup p50', value: latencyPods.total.p50, unit: 'ms', against: 'saturation pods p50', againstValue: d.tracker.latency().total.p50 });
      figures.atMost('density', `latency pods startup p99 (${latencyPods.pods} created at ${config.latencyPodsPerSecond}/s on the full cluster)`, complete ? latencyPods.total.p99 : Infinity, 'ms', config.goals.startupP99Ms);
      figures.add({ section: 'density', name: 'latency pods create -> scheduled p50 / p99', value: latencyPods.createToScheduled.p99, unit: 'ms', against: 'p50', againstValue: latencyPods.createToScheduled.p50 });
      const densityLag = await lagNow();
      (results.density as Record<string, unknown>).eventLoopDelayMs = densityLag;
      out(`density: event-loop delay p99/max ms: ${Object.entries(densityLag).map(([r, l]) => `${r} ${l?.p99}/${l?.max}`).join(', ')}`);
      if (has('api')) {
        await apiLatencyPhase(ctx, api, d.podNames, d.selectors);
        (results.api as Record<string, unknown>).eventLoopDelayMs = await lagNow();
      }

      // Writes in this window are not the minions' upkeep but work left over (events still going out): said beside it.
      const { idle: idleFull, txnsPerSec: writesFull } = await idleWindow(ctx, hollow);
      out(`idle: ${config.minions} hollow minions with ${config.podsPerMinion} pods each use ${idleFull.cores.toFixed(3)} cores; etcd txns meanwhile ${writesFull.toFixed(1)}/s`);
      results.idleHollowWithPods = idleFull;
      figures.add({ section: 'cost', name: `${config.minions} hollow minions with ${config.podsPerMinion} pods each, idle`, value: idleFull.cores, unit: 'cores', against: 'goal for idle without pods', againstValue: config.goals.idleCores });
      if (has('metrics')) await metricsPhase(ctx, { etcdPid: findPid(etcd.dataDir), apiserver, api, scheduler, replication, hollow });
    }
  } finally {
    await reportEtcdDatabase(ctx).catch((err) => out(`etcd: no database status: ${err instanceof Error ? err.message : err}`));
    const cost = meter.summary();
    for (const c of children.reverse()) await c.stop().catch(() => undefined);
    meter.stop();
    results.cost = cost;
    const apiCost = cost.apiserver;
    if (apiCost) figures.atMost('cost', `API server peak RSS at ${config.minions * config.podsPerMinion} pods`, apiCost.peakRssBytes / 1024 ** 2, 'MiB', config.goals.apiserverRssBytes / 1024 ** 2);
    profileGoals(ctx);
    await store.close();
    await etcd.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  results.durationSeconds = (Date.now() - started) / 1000;
  const { file, chart } = writeOutputs(outDir, results, figures, tracker, config);
  const markdown = `${figures.markdown()}\n\n${costTable(results.cost as ReturnType<ProcessMeter['summary']>)}`;
  out('');
  out(markdown);
  out('');
  out(`results: ${path.relative(process.cwd(), file)}; chart: ${path.relative(process.cwd(), chart)}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { file, chart, results, markdown };
}

/** The bench runner's entry. */
export async function scaleBench(argv: string[] = []): Promise<ScaleBenchResult> {
  return runScaleBench(argv);
}
