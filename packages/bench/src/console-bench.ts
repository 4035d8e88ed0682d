// `npm run bench -- console [--pods N] [--minions M]`: the web console on a big cluster. The API
// server (with the console at /ui) runs on an in-memory registry holding M Ready minions and N
// Running pods bound to them — the objects a cluster of hollow minions writes, without the kubelets,
// so the figure is the page's and the API's, not the machine's. Headless Chromium opens /ui; printed:
// the time from navigation to every pod drawn, the page's JS heap, and a frame time while scrolling.
import { CODECS, createApiServer } from '@coxswain/api';
import { CONSOLE_ASSETS_DIR } from '@coxswain/console';
import type { Minion, Pod } from '@coxswain/objects';
import { memoryRegistry, openBrowser } from '@coxswain/testing';

function flag(argv: string[], name: string, dflt: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, not "${argv[i + 1]}"`);
  return n;
}

export async function consoleBench(argv: string[]): Promise<void> {
  const pods = flag(argv, '--pods', argv.includes('--quick') ? 2000 : 20_000);
  const minions = flag(argv, '--minions', 200);
  const registry = memoryRegistry();
  const minionNames = Array.from({ length: minions }, (_, i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
  await registry.createMany<Minion>(
    minionNames.map((name) => ({ apiVersion: 'v1', kind: 'Minion', metadata: { name, labels: { hollow: 'true' } }, status: { capacity: { cpu: '8', memory: '32Gi', pods: '200' }, conditions: [{ type: 'Ready', status: 'True' }] } }) as Minion),
  );
  for (let start = 0; start < pods; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, pods - start) }, (_, j): Pod => {
      const i = start + j;
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `hollow-${i}`, namespace: 'default', labels: { app: `app-${i % 50}` } },
        spec: { nodeName: minionNames[i % minions]!, containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      } as Pod;
    });
    await registry.createMany(batch);
  }
  const server = createApiServer({ store: registry, codecs: CODECS, port: 0, consoleDir: CONSOLE_ASSETS_DIR });
  await server.listen();
  const browser = await openBrowser();
  try {
    const { page } = browser;
    const started = Date.now();
    await page.goto(`${server.url}/ui`);
    await page.waitForFunction(`document.querySelectorAll('.minion [data-pod]').length === ${pods}`, undefined, { timeout: 120_000, polling: 50 });
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    const renderMs = Date.now() - started;
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number };
    // Scroll the whole map in 60 steps, one per frame, and keep the slowest frame.
    const worstFrameMs = (await page.evaluate(`(async () => {
      let worst = 0, last = performance.now();
      const step = document.documentElement.scrollHeight / 60;
      for (let i = 1; i <= 60; i++) {
        window.scrollTo(0, i * step);
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        worst = Math.max(worst, now - last);
        last = now;
      }
      return worst;
    })()`)) as number;
    console.log(`console: ${pods} pods on ${minions} minions: first render ${renderMs} ms (goal < 1000), JS heap ${(heap.usedSize / 2 ** 20).toFixed(1)} MiB, slowest scroll frame ${worstFrameMs.toFixed(1)} ms`);
    if (browser.errors.length) console.log(`console: the page logged ${browser.errors.length} errors: ${browser.errors.slice(0, 3).join(' | ')}`);
  } finally {
    await browser.close();
    await server.close();
    await registry.close();
  }
}
