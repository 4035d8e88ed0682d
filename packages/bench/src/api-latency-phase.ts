// API latency on the full cluster under background churn (creates, updates and deletes of pods in
// namespace `churn` at a fixed rate), measured from this process one request at a time:
// GET one pod, LIST all pods, LIST by label selector, POST / PUT / DELETE; LIST all next to a raw
// etcd range read + JSON decode of the same keys (a LIST timed as served: to its last byte, not
// parsed — list-bytes.ts; one more parsed, to count the pods and show what a client's parse adds);
// and WebSocket watch delivery: a raw etcd watch on the churn prefix notes when etcd emitted each
// revision, and each of the API watchers when it got it (both in a child process of their own,
// watch-probe.ts).
import { realClock } from '@coxswain/objects';
import { ApiClient } from '@coxswain/client';
import { scrapeMetrics } from '@coxswain/testing';
import { spawnBenchChild } from './bench-child';
import { BenchContext } from './bench-context';
import { LatencySamples, type LatencySummary } from './latency-samples';
import { listBytes } from './list-bytes';
import { during, within, type Span } from './time-spans';
import type { WatchProbeReport } from './watch-probe';

export const MUTATING_P99_GOAL_MS = 100;
export const LIST_RATIO_GOAL = 2;
export const WATCH_P99_GOAL_MS = 50;

/**
 * A LIST of every pod may take longer than the bench's other calls: at 150,000 pods on a saturated
 * machine it is a body of ~250 MB. A slow LIST is a figure to report, not a reason to end the run.
 */
const LIST_ALL_TIMEOUT_MS = 300_000;

const RAW_RANGE_KEYS = 20_000;

export const CHURN_NS = 'churn';
export const API_NS = 'api-bench';

function smallPod(name: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { bench: 'api', ...labels } },
    spec: { containers: [{ name: 'c', image: 'coxswain/busybox', command: ['sleep', '3600'] }], restartPolicy: 'Always' },
  };
}

/**
 * `perSecond` changes/s until stopped: every 3/perSecond s a pod's short life starts (create, then
 * relabel, then delete, 1/perSecond s apart), so the rate holds even when one call is slow; at most
 * 50 lives at once (bounded). Returns how many changes were made.
 */
function startChurn(api: ApiClient, perSecond: number): { stop: () => Promise<number> } {
  let stopped = false;
  let changes = 0;
  const gap = 1000 / perSecond;
  const lives = new Set<Promise<void>>();
  const life = async (k: number) => {
    const name = `churn-${k}`;
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
        changes++;
      } catch (err) {
        console.error(`churn ${what} ${name}: ${err instanceof Error ? err.message : err}`);
      }
    };
    const t0 = Date.now();
    await step('create', () => api.create('pods', smallPod(name), { namespace: CHURN_NS }));
    await realClock.sleep(Math.max(0, t0 + gap - Date.now()));
    // Unconditional (no resourceVersion): the kubelet writes status meanwhile; a 409 is not churn.
    await step('update', () => api.update('pods', smallPod(name, { step: 'relabelled' }), { namespace: CHURN_NS }));
    await realClock.sleep(Math.max(0, t0 + 2 * gap - Date.now()));
    await step('delete', () => api.delete('pods', name, { namespace: CHURN_NS }));
  };
  const loop = (async () => {
    let k = 0;
    let next = Date.now();
    while (!stopped) {
      if (lives.size < 50) {
        const p = life(k++).finally(() => lives.delete(p));
        lives.add(p);
      }
      next += 3 * gap;
      await realClock.sleep(Math.max(0, next - Date.now()));
    }
    await Promise.all([...lives]);
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return changes;
    },
  };
}

export async function apiLatencyPhase(ctx: BenchContext, api: ApiClient, podNames: string[], selectors: string[]): Promise<void> {
  const { config, out, client } = ctx;
  const r: Record<string, LatencySummary | unknown> = {};

  // The watch probes run in a child process (watch-probe.ts): this one parses LIST bodies meanwhile.
  const probe = await spawnBenchChild('watch-probe', { etcd: ctx.endpoint, api: api.server, namespace: CHURN_NS, watchers: config.watchers }, { nodeArgs: config.childNodeArgs });
  ctx.meter.add('watch probe', probe.pid);
  const probeReport = async () => (await probe.stats())?.report as WatchProbeReport | undefined;

  const readsBefore = await consistentReads(api.server);
  const churn = startChurn(api, config.churnPerSecond);
  const t0 = Date.now();
  let report: WatchProbeReport | undefined;
  const listWindow: Span = { from: Infinity, to: Infinity };
  // Within the LIST-all loop, when the API server was streaming a LIST and when this process was
  // reading the same keys from etcd itself: a watch event's delay is then put on the one it met. The
  // first LIST is apart: it encodes every pod (the watch cache keeps the encodings for the next ones).
  const firstApiList: Span[] = [];
  const apiLists: Span[] = [];
  const rawReads: Span[] = [];
  try {
    const get = new LatencySamples();
    for (let i = 0; i < config.apiSamples; i++) await get.timeAllowingFailure(() => api.get('pods', podNames[(i * 7919) % podNames.length].split('/')[1], { namespace: podNames[(i * 7919) % podNames.length].split('/')[0] }));
    r.get = get.summary();

    listWindow.from = Date.now();
    const lister = new ApiClient({ server: api.server, version: 'v1', timeoutMs: LIST_ALL_TIMEOUT_MS });
    const listAll = new LatencySamples();
    const raw = new LatencySamples();
    let rawCount = 0;
    const prefix = Buffer.from('/registry/pods/');
    const end = Buffer.from('/registry/pods0');
    for (let i = 0; i < config.listSamples; i++) {
      await during(i === 0 ? firstApiList : apiLists, () => listAll.timeAllowingFailure(() => listBytes(api.server, '/api/v1/pods', LIST_ALL_TIMEOUT_MS)));
      rawCount = (await during(rawReads, () => raw.timeAllowingFailure(async () => {
        // In ranges of RAW_RANGE_KEYS at one revision: 150,000 pods in one answer come near the
        // client's 256 MiB gRPC message limit.
        let count = 0;
        let revision: string | undefined;
        for (let from = prefix; ; ) {
          const res = await client.kv.range({ key: from, range_end: end, limit: RAW_RANGE_KEYS, revision });
          revision ??= res.header.revision;
          for (const kv of res.kvs) JSON.parse(kv.value.toString());
          count += res.kvs.length;
          if (!res.more || res.kvs.length === 0) return count;
          from = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
        }
      }))) ?? rawCount;
    }
    // Once more, parsed as a client would (kubectl's decode): how many pods, and what the parse adds.
    const parsed = new LatencySamples();
    const listed = (await during(apiLists, () => parsed.timeAllowingFailure(() => lister.list('pods', { namespace: '' }))))?.items.length ?? 0;
    listWindow.to = Date.now();
    r.listAll = { ...listAll.summary(), items: listed };
    r.listAllParsed = { ...parsed.summary(), items: listed };
    r.rawRangeDecode = { ...raw.summary(), items: rawCount };

    const bySelector = new LatencySamples();
    let selected = 0;
    for (let i = 0; i < Math.min(config.apiSamples, 20); i++) selected = (await bySelector.timeAllowingFailure(() => api.list('pods', { namespace: '', labelSelector: selectors[i % selectors.length] })))?.items.length ?? selected;
    r.listSelector = { ...bySelector.summary(), items: selected };

    const post = new LatencySamples();
    const put = new LatencySamples();
    const del = new LatencySamples();
    const made: Record<string, unknown>[] = [];
    for (let i = 0; i < config.apiSamples; i++) {
      const obj = await post.timeAllowingFailure(() => api.create('pods', smallPod(`api-${i}`), { namespace: API_NS }));
      if (obj) made.push(obj);
    }
    for (const obj of made) {
      const o = structuredClone(obj) as { metadata: { name: string; labels: Record<string, string> } };
      o.metadata.labels.touched = 'yes';
      // Unconditional PUT: the kubelet writes status meanwhile, and a 409 is not what is measured here.
      delete (o.metadata as { resourceVersion?: string }).resourceVersion;
      await put.timeAllowingFailure(() => api.update('pods', o, { namespace: API_NS }));
    }
    for (const obj of made) await del.timeAllowingFailure(() => api.delete('pods', (obj as { metadata: { name: string } }).metadata.name, { namespace: API_NS }));
    r.post = post.summary();
    r.put = put.summary();
    r.delete = del.summary();
  } finally {
    const changes = await churn.stop();
    r.churn = { changes, seconds: (Date.now() - t0) / 1000, perSecond: changes / ((Date.now() - t0) / 1000) };
    // The last events reach the watchers (bounded wait: a watcher still missing some after 10 s
    // counts them as missed).
    report = await probeReport();
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && report?.missed !== 0; await realClock.sleep(200)) report = await probeReport();
    await probe.stop();
  }
  if (!report) throw new Error('the watch probe did not report');
  // Split by when etcd emitted the event: while this process was LISTing all pods back to back (a
  // 20,000-pod body parsed per second here, the API server streaming, etcd ranging: the 2 cores are
  // full), and the rest of the phase.
  const delivery = new LatencySamples();
  const duringListAll = new LatencySamples();
  const otherwise = new LatencySamples();
  const duringFirstApiList = new LatencySamples();
  const duringApiList = new LatencySamples();
  const duringRawRead = new LatencySamples();
  report.deliveryMs.forEach((ms, i) => {
    delivery.add(ms);
    const at = report!.emittedAt[i];
    (within([listWindow], at) ? duringListAll : otherwise).add(ms);
    if (within(firstApiList, at)) duringFirstApiList.add(ms);
    else if (within(apiLists, at)) duringApiList.add(ms);
    else if (within(rawReads, at)) duringRawRead.add(ms);
  });
  const missed = report.missed;
  r.watch = {
    ...delivery.summary(),
    watchers: config.watchers,
    revisions: report.revisions,
    missed,
    duringListAll: duringListAll.summary(),
    duringFirstApiList: duringFirstApiList.summary(),
    duringApiList: duringApiList.summary(),
    duringRawRead: duringRawRead.summary(),
    otherwise: otherwise.summary(),
  };

  const readsAfter = await consistentReads(api.server);
  const reads = { cache: readsAfter.cache - readsBefore.cache, etcd: readsAfter.etcd - readsBefore.etcd };
  r.consistentReads = reads;

  const s = r as Record<string, LatencySummary & { items?: number }>;
  ctx.results.api = r;
  // A call that failed is in its figure's name, and its first error in the log.
  const failed = (k: string) => (s[k].failed > 0 ? ` (${s[k].failed} of ${s[k].count} failed)` : '');
  for (const k of ['get', 'listAll', 'listAllParsed', 'rawRangeDecode', 'listSelector', 'post', 'put', 'delete']) {
    if (s[k].firstFailure) out(`api: ${k}: ${s[k].failed} of ${s[k].count} failed; the first: ${s[k].firstFailure}`);
  }
  const f = ctx.figures;
  f.add({ section: 'api', name: 'background churn (pod create/relabel/delete)', value: (r.churn as { perSecond: number }).perSecond, unit: 'changes/s', against: 'target', againstValue: config.churnPerSecond });
  f.add({ section: 'api', name: `GET one pod p50 / p99${failed('get')}`, value: s.get.p99, unit: 'ms', against: 'p50', againstValue: s.get.p50 });
  f.atMost('api', `LIST all ${s.listAll.items} pods p50${failed('listAll')}`, s.listAll.p50, 'ms', LIST_RATIO_GOAL * s.rawRangeDecode.p50, { label: `raw etcd range + decode p50${failed('rawRangeDecode')}`, value: s.rawRangeDecode.p50 });
  f.add({ section: 'api', name: `LIST all pods once more, parsed by the client${failed('listAllParsed')}`, value: s.listAllParsed.p50, unit: 'ms', against: 'served (p50 above)', againstValue: s.listAll.p50 });
  f.add({ section: 'api', name: `LIST by label selector (${s.listSelector.items} of all) p99${failed('listSelector')}`, value: s.listSelector.p99, unit: 'ms', against: 'p50', againstValue: s.listSelector.p50 });
  f.atMost('api', `POST pod p99${failed('post')}`, s.post.p99, 'ms', MUTATING_P99_GOAL_MS);
  f.atMost('api', `PUT pod p99${failed('put')}`, s.put.p99, 'ms', MUTATING_P99_GOAL_MS);
  f.atMost('api', `DELETE pod p99${failed('delete')}`, s.delete.p99, 'ms', MUTATING_P99_GOAL_MS);
  f.atMost('api', `watch delivery p99 (${config.watchers} watchers, etcd event -> client)`, s.watch.p99, 'ms', WATCH_P99_GOAL_MS);
  const w = r.watch as Record<'duringListAll' | 'duringFirstApiList' | 'duringApiList' | 'duringRawRead' | 'otherwise', LatencySummary>;
  // A split whose side no event fell in (a quick run's LISTs of 1,000 pods take milliseconds) has no
  // p99: it is said so, not put in the table.
  const split = (name: string, a: LatencySummary, againstLabel: string, b: LatencySummary) => {
    if (a.count > 0 && b.count > 0) f.add({ section: 'api', name, value: a.p99, unit: 'ms', against: againstLabel, againstValue: b.p99 });
    else out(`api: ${name}: no watch event fell in one of them (${a.count} and ${b.count} deliveries)`);
  };
  split('watch delivery p99 outside / during the LIST-all loop', w.otherwise, 'during', w.duringListAll);
  split("in that loop, during the API server's first LIST (it encodes every pod) / its later LISTs", w.duringFirstApiList, 'later', w.duringApiList);
  split("in that loop, during the API server's later LISTs / during this process's raw etcd reads", w.duringApiList, 'raw reads', w.duringRawRead);
  f.add({ section: 'api', name: 'consistent LISTs read from etcd (the watch cache not there in time)', value: reads.etcd, unit: 'lists', against: 'from the cache', againstValue: reads.cache });
  out(
    `api: GET p50/p99 ${s.get.p50.toFixed(1)}/${s.get.p99.toFixed(1)} ms; LIST all (${s.listAll.items}) p50 ${s.listAll.p50.toFixed(0)} ms vs raw ${s.rawRangeDecode.p50.toFixed(0)} ms; ` +
      `selector p50 ${s.listSelector.p50.toFixed(0)} ms; POST/PUT/DELETE p99 ${s.post.p99.toFixed(1)}/${s.put.p99.toFixed(1)}/${s.delete.p99.toFixed(1)} ms; ` +
      `watch p50/p99 ${s.watch.p50.toFixed(1)}/${s.watch.p99.toFixed(1)} ms (${missed} missed); churn ${(r.churn as { perSecond: number }).perSecond.toFixed(1)}/s`,
  );
}

/** The API server's consistent lists so far, by who answered them (its watch_cache_consistent_reads_total). */
export async function consistentReads(server: string): Promise<{ cache: number; etcd: number }> {
  const m = await scrapeMetrics(`${server.replace(/\/$/, '')}/metrics`);
  const count = (served: string) => m.samples.get(`watch_cache_consistent_reads_total{served="${served}"}`) ?? 0;
  return { cache: count('cache'), etcd: count('etcd') };
}
