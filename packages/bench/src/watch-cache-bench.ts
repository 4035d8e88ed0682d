// `npm run bench -- watch-cache`: what the API server's watch cache buys and what watches cost it.
//  - LIST: the same N pods read (a) raw: one etcd range of their prefix and a JSON decode of every
//    value, and (b) from the watch cache: a consistent list (etcd's revision asked for, the cache
//    caught up) handing out every object. Alternating rounds, medians. Goal: cache <= 0.5 x raw.
//  - Watches: an API server in its own process; K HTTP watches opened on it, a few events sent to
//    all of them, then all closed, three times. Its RSS before, at peak, and after each round: right
//    after the closing, and settled (full collections every 2 s until RSS stops falling: V8 gives
//    its grown heap back over the seconds after one; goal: settled after within 20% of settled
//    before), and the V8 heap in use after a full GC.
import * as http from 'node:http';
import * as net from 'node:net';
import { decodeObject, type KubeObject, type Pod } from '@coxswain/objects';
import { CachedStorage, createEtcdStorage, prefixRangeEnd } from '@coxswain/store';
import { etcdRegistry, parsePrometheusText, startEtcd, unreadHttpGet, type EtcdHarness } from '@coxswain/testing';
import { createInBatches } from './create-in-batches';
import { spawnBenchChild, type BenchChild } from './bench-child';
import type { ApiServerReport } from './bench-roles';
import { FigureTable, fmt } from './figure-table';
import { readProcess } from './process-meter';

export const LIST_RATIO_GOAL = 0.5;
export const RSS_AFTER_GOAL = 1.2;

export interface WatchCacheBenchResult {
  list: { pods: number; rawMs: number; cacheMs: number; ratio: number };
  watches: {
    count: number;
    rssBeforeMiB: number;
    rssPeakMiB: number;
    /** Settled (settledAfterGc): what the goal is measured on. */
    rssAfterMiB: number;
    afterRatio: number;
    /** Each round: right after every watch closed (before V8 shrinks its heap). */
    rssJustClosedMiB: number[];
    /** Each round: seconds from the closing to the settled reading. */
    settleSeconds: number[];
    heapBeforeMiB: number;
    heapAfterMiB: number[];
  }[];
  slow: SlowWatchersResult;
  figures: FigureTable;
}

export interface SlowWatchersResult {
  watchers: number;
  /** What each watcher would have been sent: the events written while it did not read. */
  eventsMiB: number;
  capMiB: number;
  cutOff: number;
  /** The API server's peak RSS growth with the same events and no watcher (the cache's own share). */
  growthAloneMiB: number;
  growthMiB: number;
  /** What the watchers cost: growthMiB - growthAloneMiB. Goal: at most watchers x cap. */
  costMiB: number;
}

function benchPod(namespace: string, i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, namespace, labels: { app: 'frontend', shard: String(i % 10) } },
    spec: { containers: [{ name: 'php-redis', image: 'brendanburns/php-redis', ports: [{ containerPort: 80, protocol: 'TCP' }] }], nodeName: `minion-${i % 50}` },
    status: { phase: 'Running', hostIP: '127.0.1.1', podIP: `172.30.${i % 250}.${i % 200}` },
  };
}

async function writePods(etcd: EtcdHarness, namespace: string, count: number): Promise<void> {
  const registry = etcdRegistry(etcd.client());
  try {
    await createInBatches(registry, count, (i) => benchPod(namespace, i));
  } finally {
    await registry.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;
const mib = (bytes: number) => bytes / 1024 / 1024;

async function listBench(etcd: EtcdHarness, pods: number, rounds: number, out: (l: string) => void): Promise<WatchCacheBenchResult['list']> {
  const client = etcd.client();
  await writePods(etcd, 'bench', pods);
  const prefix = '/registry/pods/bench/';
  const cache = new CachedStorage(createEtcdStorage(etcd.endpoints));
  await cache.ready;
  try {
    const raw = async () => {
      const t = process.hrtime.bigint();
      const res = await client.kv.range({ key: Buffer.from(prefix), range_end: prefixRangeEnd(prefix) });
      const items = res.kvs.map((kv) => decodeObject<KubeObject>(kv.value, kv.mod_revision));
      if (items.length !== pods) throw new Error(`raw range read ${items.length} pods, not ${pods}`);
      return ms(t);
    };
    const cached = async () => {
      const t = process.hrtime.bigint();
      const { items } = await cache.list(prefix);
      if (items.length !== pods) throw new Error(`the cache listed ${items.length} pods, not ${pods}`);
      return ms(t);
    };
    await raw();
    await cached(); // warm both paths
    const rawMs: number[] = [];
    const cacheMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      rawMs.push(await raw());
      cacheMs.push(await cached());
    }
    const result = { pods, rawMs: median(rawMs), cacheMs: median(cacheMs), ratio: median(cacheMs) / median(rawMs) };
    out(`  LIST ${pods} pods, median of ${rounds} alternating rounds: raw etcd range + decode ${fmt(result.rawMs)} ms; watch cache (consistent) ${fmt(result.cacheMs)} ms; ratio ${result.ratio.toFixed(2)} (goal <= ${LIST_RATIO_GOAL}) ${result.ratio <= LIST_RATIO_GOAL ? 'MET' : 'NOT MET'}`);
    return result;
  } finally {
    await cache.close();
    client.close();
  }
}

function scrapeWatchers(url: string): Promise<number> {
  return scrapeSum(url, 'apiserver_registered_watchers{');
}

/** The sum of the server's samples whose name and labels start with `prefix`. */
function scrapeSum(url: string, prefix: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}/metrics`, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          let n = 0;
          for (const [k, v] of parsePrometheusText(body).samples) if (k.startsWith(prefix)) n += v;
          resolve(n);
        });
      })
      .on('error', reject);
  });
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 120_000, detail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`watch bench: timed out waiting for ${what}${detail ? ` (${detail()})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** "count x value" pairs, e.g. "3 x 0, 497 x 5". */
function histogram(values: readonly number[]): string {
  const byValue = new Map<number, number>();
  for (const v of values) byValue.set(v, (byValue.get(v) ?? 0) + 1);
  return [...byValue].sort((a, b) => a[0] - b[0]).map(([v, n]) => `${n} x ${v}`).join(', ');
}

/**
 * Opens `count` chunked HTTP watches on `namespace`, 250 connections at a time (each batch answered
 * before the next, so the server's accept backlog never overflows); each counts the lines it receives.
 */
async function openWatches(url: string, count: number, namespace: string): Promise<{ received: number[]; firstLines: string[]; close(): void }> {
  const received = new Array<number>(count).fill(0);
  const firstLines: string[] = [];
  const requests: http.ClientRequest[] = [];
  const open = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const req = http.get(`${url}/api/v1/namespaces/${namespace}/pods?watch=true&resourceVersion=0`, { agent: false }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`watch ${i}: HTTP ${res.statusCode}`));
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          firstLines[i] ??= chunk.slice(0, 300);
          for (let j = chunk.indexOf('\n'); j >= 0; j = chunk.indexOf('\n', j + 1)) received[i]!++;
        });
        res.on('error', () => undefined);
        resolve();
      });
      req.on('error', reject);
      requests[i] = req;
    });
  for (let start = 0; start < count; start += 250) {
    await Promise.all(Array.from({ length: Math.min(250, count - start) }, (_, j) => open(start + j)));
  }
  return { received, firstLines, close: () => requests.forEach((r) => r.destroy()) };
}

/** One round: `count` watches opened, 5 events at every one, all closed. Returns the RSS at the peak. */
async function watchRound(etcd: EtcdHarness, url: string, pid: number, count: number, round: number): Promise<number> {
  const watches = await openWatches(url, count, `watchers-${round}`);
  await until(`${count} watches registered`, async () => (await scrapeWatchers(url)) === count, 120_000, () => `events received so far: ${histogram(watches.received)}`);
  const events = 5;
  await writePods(etcd, `watchers-${round}`, events);
  await until(`${events} events at every watcher`, () => watches.received.every((n) => n >= events), 120_000, () => `events received: ${histogram(watches.received)}; the first line of the one with fewest: ${watches.firstLines[watches.received.indexOf(Math.min(...watches.received))]}`);
  const peak = readProcess(pid)!;
  watches.close();
  await until('every watch closed', async () => (await scrapeWatchers(url)) === 0);
  return Math.max(peak.rssBytes, peak.peakRssBytes);
}

/** After a full collection in the server (its role exposes gc): RSS and the V8 heap in use. */
async function afterGc(api: BenchChild): Promise<{ rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number }> {
  const report = ((await api.stats())?.report as ApiServerReport | undefined)?.memory;
  if (!report) throw new Error('watch bench: the API server did not report its memory');
  return { rss: readProcess(api.pid)!.rssBytes, heapUsed: report.heapUsed, heapTotal: report.heapTotal, external: report.external, arrayBuffers: report.arrayBuffers };
}

type MemoryReading = Awaited<ReturnType<typeof afterGc>>;
/** How long settledAfterGc waits: a full run's, and the quick run's (npm test), which only checks the figures exist. */
interface Settling {
  pollMs: number;
  quietMs: number;
  maxMs: number;
}
const SETTLE_FULL: Settling = { pollMs: 2_000, quietMs: 10_000, maxMs: 90_000 };
const SETTLE_QUICK: Settling = { pollMs: 1_000, quietMs: 3_000, maxMs: 20_000 };

/**
 * The server's memory once V8 has given back what the load made it grow: its memory reducer returns
 * the emptied old-space pages and pooled chunks over the seconds after a full collection, not at a
 * forced GC itself, and an idle server makes no full collection of its own (measured: RSS unchanged
 * for 10 s). So a full GC is made every 2 s (a server in service makes them as its heap fills) and RSS
 * read after each, until it has fallen by less than 1 MiB for 10 s (90 s at most; the quick run's
 * figures are not goals, so it waits 3 s of quiet, polled every second).
 */
async function settledAfterGc(api: BenchChild, settling: Settling): Promise<MemoryReading & { seconds: number }> {
  const start = Date.now();
  let lowest = await afterGc(api);
  let lowestAt = start;
  while (Date.now() - lowestAt < settling.quietMs && Date.now() - start < settling.maxMs) {
    await new Promise((r) => setTimeout(r, settling.pollMs));
    const now = await afterGc(api);
    if (now.rss < lowest.rss - 1024 * 1024) lowestAt = Date.now();
    if (now.rss < lowest.rss) lowest = now;
  }
  return { ...lowest, seconds: (lowestAt - start) / 1000 };
}

async function watchBench(etcd: EtcdHarness, counts: number[], rounds: number, settling: Settling, out: (l: string) => void): Promise<WatchCacheBenchResult['watches']> {
  const results: WatchCacheBenchResult['watches'] = [];
  for (const count of counts) {
    // A fresh API server per size: its before/peak/after are its own.
    const api = await spawnBenchChild('apiserver', { etcd: etcd.endpoints.join(',') }, { nodeArgs: ['--expose-gc'] });
    const url = String(api.info.url);
    const client = etcd.client();
    try {
      // "Before" is a server whose cache holds every pod (a consistent list waits for it) and that has
      // served one round of watches (sockets, JIT, the encodings): what a running server looks like.
      await httpGet(`${url}/api/v1/pods?limit=1`);
      await watchRound(etcd, url, api.pid, Math.min(count, 50), 0);
      const before = await settledAfterGc(api, settling);
      let peak = 0;
      const afters: MemoryReading[] = [];
      const justClosed: number[] = [];
      const settleSeconds: number[] = [];
      for (let r = 1; r <= rounds; r++) {
        peak = Math.max(peak, await watchRound(etcd, url, api.pid, count, r));
        justClosed.push(readProcess(api.pid)!.rssBytes);
        const settled = await settledAfterGc(api, settling);
        afters.push(settled);
        settleSeconds.push(settled.seconds);
      }
      const after = afters[afters.length - 1]!;
      const row = {
        count,
        rssBeforeMiB: mib(before.rss),
        rssPeakMiB: mib(peak),
        rssAfterMiB: mib(after.rss),
        afterRatio: after.rss / before.rss,
        rssJustClosedMiB: justClosed.map(mib),
        settleSeconds,
        heapBeforeMiB: mib(before.heapUsed),
        heapAfterMiB: afters.map((a) => mib(a.heapUsed)),
      };
      results.push(row);
      out(
        `  ${count} watches x ${rounds} rounds: API server RSS before ${fmt(row.rssBeforeMiB)} MiB, peak ${fmt(row.rssPeakMiB)} MiB, after each round ${afters.map((a) => fmt(mib(a.rss))).join(' / ')} MiB settled (${settleSeconds.map((x) => fmt(x)).join(' / ')} s after closing; right after closing, no collection, ${row.rssJustClosedMiB.map(fmt).join(' / ')} MiB) (after/before ${row.afterRatio.toFixed(2)}, goal <= ${RSS_AFTER_GOAL}) ${row.afterRatio <= RSS_AFTER_GOAL ? 'MET' : 'NOT MET'}; V8 heap in use ${fmt(row.heapBeforeMiB)} MiB before, ${row.heapAfterMiB.map(fmt).join(' / ')} MiB after each round (full GC before each reading; V8 heap reserved ${fmt(mib(before.heapTotal))} MiB before, ${fmt(mib(after.heapTotal))} after; external ${fmt(mib(before.external))} / ${fmt(mib(after.external))} MiB, of it ArrayBuffers ${fmt(mib(before.arrayBuffers))} / ${fmt(mib(after.arrayBuffers))} MiB)`,
      );
      await client.kv.deleteRange({ key: Buffer.from('/registry/pods/watchers'), range_end: prefixRangeEnd('/registry/pods/watchers') });
    } finally {
      client.close();
      await api.stop();
    }
  }
  return results;
}

/** The server's per-connection cap on unsent bytes in this bench: its default (--watch-buffer-bytes). */
const SLOW_CAP_BYTES = 8 * 1024 * 1024;
const FILLER = 'x'.repeat(64 * 1024);


/** One fresh API server (its VmHWM is this phase's), `watchers` never-reading watches, `events` events of 64 KiB. */
async function slowWatcherPhase(etcd: EtcdHarness, namespace: string, watchers: number, events: number): Promise<{ cutOff: number; growthMiB: number; beforeMiB: number; peakMiB: number }> {
  const api = await spawnBenchChild('apiserver', { etcd: etcd.endpoints.join(','), watchBufferBytes: SLOW_CAP_BYTES }, { nodeArgs: ['--expose-gc'] });
  const url = String(api.info.url);
  const sockets: net.Socket[] = [];
  try {
    await httpGet(`${url}/api/v1/pods?limit=1`);
    const before = await afterGc(api);
    const client = etcd.client();
    const rv = (await client.kv.range({ key: Buffer.from([0]), count_only: true })).header.revision;
    client.close();
    for (let i = 0; i < watchers; i++) sockets.push(await unreadHttpGet(url, `/api/v1/namespaces/${namespace}/pods?watch=true&resourceVersion=${rv}`));
    await until(`${watchers} slow watches registered`, async () => (await scrapeWatchers(url)) === watchers);
    const registry = etcdRegistry(etcd.client());
    try {
      // One create each, 16 at a time: 64 KiB objects many to a transaction would pass etcd's request limit.
      for (let start = 0; start < events; start += 16) {
        await Promise.all(
          Array.from({ length: Math.min(16, events - start) }, (_, j) => {
            const pod = benchPod(namespace, start + j);
            return registry.create<Pod>({ ...pod, metadata: { ...pod.metadata, annotations: { filler: FILLER } } });
          }),
        );
      }
    } finally {
      await registry.close();
    }
    // Every event reached the cache (a consistent list waits for it), and every slow watcher was cut off.
    await httpGet(`${url}/api/v1/namespaces/${namespace}/pods?limit=1`);
    let seen = '';
    await until(
      `${watchers} slow watchers cut off`,
      async () => {
        const [cut, open] = [await scrapeSum(url, 'apiserver_watchers_cut_off_total{'), await scrapeWatchers(url)];
        seen = `${cut} cut off, ${open} open`;
        return cut === watchers && open === 0;
      },
      120_000,
      () => seen,
    );
    const peak = readProcess(api.pid)!.peakRssBytes;
    return { cutOff: await scrapeSum(url, 'apiserver_watchers_cut_off_total{'), growthMiB: mib(peak - before.rss), beforeMiB: mib(before.rss), peakMiB: mib(peak) };
  } finally {
    for (const s of sockets) s.destroy();
    await api.stop();
  }
}

/**
 * Watchers that never read, and events of 64 KiB written until each would have been sent several
 * times the cap: every one must be cut off, and what they cost the API server — its peak RSS growth
 * with them, less the growth the same events bring with no watcher (the cache's own copy) — must stay
 * within the cap per watcher, not grow with what the events would have filled.
 */
async function slowWatcherBench(etcd: EtcdHarness, watchers: number, events: number, out: (l: string) => void): Promise<SlowWatchersResult> {
  const alone = await slowWatcherPhase(etcd, 'slow-none', 0, events);
  const slow = await slowWatcherPhase(etcd, 'slow', watchers, events);
  const result: SlowWatchersResult = {
    watchers,
    eventsMiB: mib(events * FILLER.length),
    capMiB: mib(SLOW_CAP_BYTES),
    cutOff: slow.cutOff,
    growthAloneMiB: alone.growthMiB,
    growthMiB: slow.growthMiB,
    costMiB: slow.growthMiB - alone.growthMiB,
  };
  out(
    `  ${watchers} HTTP watchers that never read, ${events} events of 64 KiB (${fmt(result.eventsMiB)} MiB for each): ${result.cutOff} cut off; API server peak RSS growth ${fmt(slow.growthMiB)} MiB ` +
      `(${fmt(slow.beforeMiB)} -> ${fmt(slow.peakMiB)}), ${fmt(alone.growthMiB)} MiB with no watcher: they cost ${fmt(result.costMiB)} MiB ` +
      `(the cap allows ${watchers} x ${fmt(result.capMiB)} = ${fmt(watchers * result.capMiB)} MiB unsent; without it they could hold ${fmt(watchers * result.eventsMiB)} MiB)`,
  );
  return result;
}

function httpGet(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`GET ${url}: ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

export async function runWatchCacheBench(opts: { quick?: boolean; watches?: number[]; out?: (line: string) => void } = {}): Promise<WatchCacheBenchResult> {
  const out = opts.out ?? ((line: string) => console.log(line));
  const pods = opts.quick ? 1_000 : 20_000;
  const counts = opts.watches ?? (opts.quick ? [50] : [500, 5_000]);
  const etcd = await startEtcd();
  try {
    out(`watch-cache bench: etcd on loopback; LIST of ${pods} pods; ${counts.join(' and ')} watches on an API server process`);
    const list = await listBench(etcd, pods, opts.quick ? 3 : 5, out);
    const watches = await watchBench(etcd, counts, opts.quick ? 1 : 3, opts.quick ? SETTLE_QUICK : SETTLE_FULL, out);
    const slow = await slowWatcherBench(etcd, opts.quick ? 5 : 20, opts.quick ? 300 : 800, out);
    const figures = new FigureTable();
    figures.atMost('watch cache', `LIST ${pods} pods from the cache`, list.cacheMs, 'ms', LIST_RATIO_GOAL * list.rawMs, { label: 'raw etcd range + decode x 0.5', value: LIST_RATIO_GOAL * list.rawMs });
    for (const w of watches) {
      figures.atMost('watch cache', `API server RSS after ${w.count} watches closed`, w.rssAfterMiB, 'MiB', RSS_AFTER_GOAL * w.rssBeforeMiB, { label: `RSS before x ${RSS_AFTER_GOAL}`, value: RSS_AFTER_GOAL * w.rssBeforeMiB });
    }
    figures.atMost('watch cache', `API server RSS cost of ${slow.watchers} watchers that never read`, slow.costMiB, 'MiB', slow.watchers * slow.capMiB, { label: `${slow.watchers} x the cap`, value: slow.watchers * slow.capMiB });
    out(figures.markdown());
    return { list, watches, slow, figures };
  } finally {
    await etcd.stop();
  }
}

export async function watchCacheBench(argv: string[]): Promise<WatchCacheBenchResult> {
  // --watches=500,5000: the numbers of watches measured.
  const watches = argv.find((a) => a.startsWith('--watches='))?.slice('--watches='.length).split(',').map(Number);
  if (watches && watches.some((n) => !(Number.isInteger(n) && n > 0))) throw new Error(`--watches: whole numbers of watches, comma-separated, not "${watches.join(',')}"`);
  return runWatchCacheBench({ quick: argv.includes('--quick'), watches });
}
