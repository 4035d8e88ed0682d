// `npm run bench -- scrape-cost [--minions N] [--pods-per-minion N] [--gap-s S] [--rounds N] [--cpu-prof]`: what
// one pass of the metrics pipeline costs at both ends, against the least any scrape over HTTP can
// cost, in one run. The kubelets' side is a process of its own (stats-servers-role.ts: 1,000 kubelet
// endpoints of 20 pods each, as a hollow process serves them); this process is the scraper. Three
// kinds of window alternate, each as long as the pipeline's resolution (15 s), the order rotated
// every round:
//   - idle: nothing asked (what both processes cost anyway);
//   - floor: one keep-alive GET of each kubelet's /healthz (2 bytes), node:http at both ends, as
//     the pipeline's own requests are made: the least a pass of 1,000 HTTP scrapes can cost;
//   - scrape: one pass of the real MetricsScraper (/stats/summary?only_usage=true of every kubelet,
//     each answered from a fresh reading of its 20 containers).
// CPU seconds of each process over each window, net of the idle windows' median. #23's cost bench
// (`metrics`) holds the pipeline against a whole idle cluster, whose own swings hide a share this
// small; this one measures the share itself, and the floor under it. --cpu-prof writes the kubelets'
// process's CPU profile to a directory it names.
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Minion } from '@coxswain/objects';
import { realClock } from '@coxswain/objects';
import { MetricsScraper } from '@coxswain/client';
import { memoryRegistry } from '@coxswain/testing';
import { spawnBenchChild } from './bench-child';
import { countFlag } from './count-flag';
import { FigureTable, fmt } from './figure-table';
import { readProcess } from './process-meter';
import { spreadOf } from './paired-rounds';

type Arm = 'idle' | 'floor' | 'scrape';
const ARMS: Arm[] = ['idle', 'floor', 'scrape'];

interface Window {
  scraperMs: number;
  kubeletsMs: number;
}

const median = (xs: number[]) => spreadOf(xs).median;

/** A keep-alive GET of every URL at once, bodies read to the end, as the scraper's own requests are made. */
function floorPass(urls: URL[], agent: http.Agent): Promise<unknown> {
  return Promise.all(
    urls.map(
      (url) =>
        new Promise<void>((resolve, reject) => {
          const req = http.request({ method: 'GET', hostname: url.hostname, port: url.port, path: url.pathname, agent }, (res) => {
            res.on('data', () => undefined);
            res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${url.href}: HTTP ${res.statusCode}`))));
            res.on('error', reject);
          });
          req.on('error', reject);
          req.end();
        }),
    ),
  );
}

export async function scrapeCostBench(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const minions = countFlag(argv, '--minions', quick ? 100 : 1000);
  const podsPerMinion = countFlag(argv, '--pods-per-minion', 20);
  const gapMs = countFlag(argv, '--gap-s', quick ? 2 : 15) * 1000;
  const rounds = countFlag(argv, '--rounds', quick ? 1 : 8);
  const profDir = argv.includes('--cpu-prof') ? path.join(tmpdir(), `scrape-cost-prof-${Date.now()}`) : undefined;
  if (profDir) console.log(`scrape-cost: the kubelets' CPU profile goes to ${profDir}`);
  const nodeArgs = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const kubelets = await spawnBenchChild('stats-servers', { count: minions, podsPerMinion, port: 10250 }, { nodeArgs });
  const registry = memoryRegistry();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const scraper = new MetricsScraper({ store: registry, intervalMs: gapMs });
  try {
    const endpoints = kubelets.info.endpoints as Array<{ minion: string; url: string }>;
    for (const e of endpoints) {
      const m = await registry.create<Minion>({ apiVersion: 'v1', kind: 'Minion', metadata: { name: e.minion } } as Minion);
      await registry.updateStatus<Minion>({ ...m, status: { kubeletEndpoint: e.url } } as Minion);
    }
    const healthz = endpoints.map((e) => new URL('/healthz', e.url));
    // Warm-up: connections open, code compiled, and two readings a kubelet so that rates exist.
    await floorPass(healthz, agent);
    // A kubelet reads anew when its last reading is older than its 5 s housekeeping interval.
    await scraper.scrape();
    await realClock.sleep(Math.max(gapMs, 5_000));
    await scraper.scrape();
    if (scraper.pods().length !== minions * podsPerMinion) throw new Error(`the scrape shows ${scraper.pods().length} pods, not ${minions * podsPerMinion}: it does not work, so its cost means nothing`);

    const cpuMs = () => {
      const own = process.cpuUsage();
      return { scraper: (own.user + own.system) / 1000, kubelets: (readProcess(kubelets.pid)?.cpuSeconds ?? NaN) * 1000 };
    };
    const windows: Record<Arm, Window[]> = { idle: [], floor: [], scrape: [] };
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < ARMS.length; k++) {
        const arm = ARMS[(round + k) % ARMS.length]!;
        const start = Date.now();
        const before = cpuMs();
        if (arm === 'floor') await floorPass(healthz, agent);
        if (arm === 'scrape') {
          await scraper.scrape();
          const pass = scraper.lastPass();
          if (pass?.answered !== minions) throw new Error(`a scrape reached ${pass?.answered} of ${minions} kubelets${pass?.error ? ` (${pass.error})` : ''}`);
        }
        // The window runs to the next pass, so that what a pass leaves behind (its garbage) is counted.
        await realClock.sleep(Math.max(0, start + gapMs - Date.now()));
        const after = cpuMs();
        windows[arm].push({ scraperMs: after.scraper - before.scraper, kubeletsMs: after.kubelets - before.kubelets });
      }
      console.log(`scrape-cost: round ${round + 1} of ${rounds}: ${ARMS.map((a) => `${a} ${fmt(windows[a].at(-1)!.scraperMs)} + ${fmt(windows[a].at(-1)!.kubeletsMs)} ms`).join(', ')} (scraper + kubelets)`);
    }

    const idle = { scraperMs: median(windows.idle.map((w) => w.scraperMs)), kubeletsMs: median(windows.idle.map((w) => w.kubeletsMs)) };
    const net = (arm: Arm) => ({
      scraperMs: median(windows[arm].map((w) => w.scraperMs)) - idle.scraperMs,
      kubeletsMs: median(windows[arm].map((w) => w.kubeletsMs)) - idle.kubeletsMs,
    });
    const floor = net('floor');
    const scrape = net('scrape');
    const both = (w: Window) => w.scraperMs + w.kubeletsMs;
    // CPU ms a pass every gap seconds is ms/s, i.e. millicores.
    const millicores = (ms: number) => ms / (gapMs / 1000);
    const f = new FigureTable();
    const per = `a pass of ${minions} kubelets, CPU ms net of idle (median of ${rounds})`;
    f.add({ section: 'scrape-cost', name: `floor: GET /healthz of each, scraper's side, ${per}`, value: floor.scraperMs, unit: 'ms' });
    f.add({ section: 'scrape-cost', name: `floor: GET /healthz of each, kubelets' side, ${per}`, value: floor.kubeletsMs, unit: 'ms' });
    f.add({ section: 'scrape-cost', name: `metrics scrape, scraper's side, ${per}`, value: scrape.scraperMs, unit: 'ms', against: 'floor', againstValue: floor.scraperMs });
    f.add({ section: 'scrape-cost', name: `metrics scrape, kubelets' side, ${per}`, value: scrape.kubeletsMs, unit: 'ms', against: 'floor', againstValue: floor.kubeletsMs });
    f.add({ section: 'scrape-cost', name: `metrics scrape, both sides, every ${gapMs / 1000} s`, value: millicores(both(scrape)), unit: 'millicores', against: 'floor', againstValue: millicores(both(floor)) });
    f.add({ section: 'scrape-cost', name: `idle windows: scraper + kubelets' processes, ${gapMs / 1000} s`, value: both(idle), unit: 'ms' });
    console.log(f.markdown());
    console.log(
      `scrape-cost: a pass of ${minions} kubelets x ${podsPerMinion} pods every ${gapMs / 1000} s costs ${fmt(both(scrape))} CPU ms at both ends (${fmt(millicores(both(scrape)))} millicores), ` +
        `${fmt(both(scrape) / both(floor))}x the ${fmt(both(floor))} ms (${fmt(millicores(both(floor)))} millicores) of a bare keep-alive GET of each`,
    );
  } finally {
    await scraper.stop();
    agent.destroy();
    await registry.close();
    await kubelets.stop();
  }
}
