// `npm run bench -- list-latency [--quick] [--pods N] [--rounds N] [--compare <checkout>]`: PUT and
// watch delivery latency on an API server alone with N pods (default 20,000), quiet, during a
// back-to-back LIST-all loop (#25: PUT p99 <= 100 ms and watch p99 <= 50 ms also during the loop),
// and during a loop of LISTs by a label selector that matches few of them (a scan of them all).
// The scale bench measures the same on the full cluster; here nothing else of ours runs, so the API
// server's own share shows. With --compare, the API server of another built checkout (e.g. main)
// runs beside this one on the same etcd and the phases alternate: a before/after in one run, which
// is what a shared, noisy machine allows.
import * as path from 'node:path';
import { ApiClient } from '@coxswain/client';
import { realClock, type Pod } from '@coxswain/objects';
import { etcdRegistry, startEtcd } from '@coxswain/testing';
import { spawnBenchChild, type BenchChild } from './bench-child';
import { createInBatches } from './create-in-batches';
import { FigureTable } from './figure-table';
import { listBytes } from './list-bytes';
import { LatencySamples } from './latency-samples';
import { during, within, type Span } from './time-spans';
import type { WatchProbeReport } from './watch-probe';
import { consistentReads, MUTATING_P99_GOAL_MS, WATCH_P99_GOAL_MS } from './api-latency-phase';

const WRITES_PER_SECOND = 20;
const WRITTEN = 50;
/** How many pods each LIST by label selector matches (the scale bench's at 150,000 pods: 50). */
const SELECTED = 50;
const PHASES = ['quiet', 'listAll', 'selector'] as const;
type Phase = (typeof PHASES)[number];

function benchPod(namespace: string, name: string, labels: Record<string, string> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { bench: 'density', rc: `rc-${name.length % 50}`, ...labels } },
    spec: { containers: [{ name: 'sleep', image: 'coxswain/busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }], restartPolicy: 'Always', nodeName: `hollow-${name.length % 1000}` },
    status: { phase: 'Running', hostIP: '127.0.1.1', podIP: '10.1.2.3', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

interface Server {
  label: string;
  apiserver: BenchChild;
  probe: BenchChild;
  api: ApiClient;
  url: string;
  samples: Record<Phase, { put: LatencySamples; windows: Span[] }>;
  list: LatencySamples;
  selective: LatencySamples;
  /** PUTs made so far: each labels its pod with this count, so no PUT repeats what a pod already holds. */
  puts: number;
}

/** PUTs of the written pods at WRITES_PER_SECOND while `during` runs; their latencies go to `put`. */
async function writesDuring(s: Server, put: LatencySamples, during: () => Promise<void>): Promise<void> {
  let stop = false;
  const loop = (async () => {
    // The count goes on across phases: restarted at 0, a phase's PUTs wrote what the phase before
    // had left after its first WRITTEN of them, no change reached etcd, and no watch event came.
    for (let next = Date.now(); !stop; ) {
      const k = s.puts++;
      await put.time(() => s.api.update('pods', benchPod('churn', `c-${k % WRITTEN}`, { k: String(k) }), { namespace: 'churn' }));
      next += 1000 / WRITES_PER_SECOND;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
  })();
  try {
    await during();
  } finally {
    stop = true;
    await loop;
  }
}

export async function listLatencyBench(argv: string[] = [], out: (l: string) => void = (l) => console.log(l)): Promise<FigureTable> {
  const num = (flag: string, dflt: number) => (argv.includes(flag) ? Number(argv[argv.indexOf(flag) + 1]) : dflt);
  const quick = argv.includes('--quick');
  const pods = num('--pods', quick ? 2000 : 20_000);
  const rounds = num('--rounds', quick ? 1 : 2);
  const compare = argv.includes('--compare') ? path.resolve(argv[argv.indexOf('--compare') + 1]!) : undefined;
  const etcd = await startEtcd({ clientOptions: { callTimeoutMs: 30_000 } });
  const store = etcdRegistry(etcd.client());
  const servers: Server[] = [];
  try {
    for (const name of ['density', 'churn']) await store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    // `shard` picks SELECTED pods for each selective LIST.
    await createInBatches(store, pods, (i) => benchPod('density', `pod-${i}`, { shard: `s-${i % Math.max(1, Math.round(pods / SELECTED))}` }));
    await createInBatches(store, WRITTEN, (i) => benchPod('churn', `c-${i}`));
    const builds: [string, typeof spawnBenchChild][] = [['this checkout', spawnBenchChild]];
    if (compare) builds.unshift([path.basename(compare), require(path.join(compare, 'packages/bench/dist/bench-child')).spawnBenchChild]);
    for (const [label, spawn] of builds) {
      const apiserver = await spawn('apiserver', { etcd: etcd.endpoints[0] });
      const url = String(apiserver.info.url);
      const probe = await spawnBenchChild('watch-probe', { etcd: etcd.endpoints[0], api: url, namespace: 'churn', watchers: 10 });
      const fresh = () => ({ put: new LatencySamples(), windows: [] as Span[] });
      servers.push({ label, apiserver, probe, url, api: new ApiClient({ server: url, version: 'v1', timeoutMs: 60_000 }), samples: { quiet: fresh(), listAll: fresh(), selector: fresh() }, list: new LatencySamples(), selective: new LatencySamples(), puts: 0 });
      // The first LIST served from the watch cache encodes every pod (the encodings are then kept):
      // the loop measures the steady state. One the cache was not ready for went to etcd, and warmed
      // nothing: list until one is served from the cache (bounded).
      for (let tries = 0; ; tries++) {
        const before = await consistentReads(url);
        await listBytes(url, '/api/v1/pods');
        if ((await consistentReads(url)).cache > before.cache) break;
        if (tries >= 20) throw new Error(`list-latency: no LIST of all pods served from the watch cache in ${tries + 1} tries`);
        await realClock.sleep(500);
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (const s of round % 2 ? [...servers].reverse() : servers) {
        for (const phase of PHASES) {
          const quietly = () => new Promise<void>((r) => setTimeout(r, 4000));
          const nineLists = async () => {
            for (let i = 0; i < 9; i++) await s.list.time(() => listBytes(s.url, '/api/v1/pods'));
          };
          const twentySelective = async () => {
            for (let i = 0; i < 20; i++) await s.selective.time(() => listBytes(s.url, `/api/v1/pods?labelSelector=shard%3Ds-${i}`));
          };
          await during(s.samples[phase].windows, () => writesDuring(s, s.samples[phase].put, { quiet: quietly, listAll: nineLists, selector: twentySelective }[phase]));
        }
      }
    }
    await new Promise((r) => setTimeout(r, 1000)); // the last events reach the watchers
    const figures = new FigureTable();
    for (const s of servers) {
      const report = (await s.probe.stats())?.report as WatchProbeReport | undefined;
      if (!report) throw new Error(`the watch probe of ${s.label} did not report`);
      figures.add({ section: s.label, name: `LIST all ${pods} pods p50 (the loop's)`, value: s.list.summary().p50, unit: 'ms' });
      figures.add({ section: s.label, name: `LIST by label selector (${SELECTED} of ${pods} pods) p50 (the loop's)`, value: s.selective.summary().p50, unit: 'ms' });
      for (const phase of PHASES) {
        const watch = new LatencySamples();
        report.deliveryMs.forEach((ms, i) => {
          if (within(s.samples[phase].windows, report.emittedAt[i]!)) watch.add(ms);
        });
        const put = s.samples[phase].put.summary();
        const w = watch.summary();
        const when = { quiet: 'quiet', listAll: 'during the LIST-all loop', selector: 'during the selective LIST loop' }[phase];
        figures.atMost(s.label, `PUT p99 ${when} (p50 ${put.p50.toFixed(1)} ms, ${put.count} PUTs)`, put.p99, 'ms', MUTATING_P99_GOAL_MS);
        figures.atMost(s.label, `watch delivery p99 ${when} (p50 ${w.p50.toFixed(1)} ms, 10 watchers)`, w.p99, 'ms', WATCH_P99_GOAL_MS);
      }
    }
    out(`list-latency: ${pods} pods, ${rounds} round(s) of 4 s quiet + 9 LISTs of all + 20 LISTs by selector per server, PUTs at ${WRITES_PER_SECOND}/s throughout`);
    out(figures.markdown());
    return figures;
  } finally {
    for (const s of servers) {
      await s.probe.stop();
      await s.apiserver.stop();
    }
    await store.close();
    await etcd.stop();
  }
}
