// `npm run bench -- console [--pods N] [--minions M]`: the web console on a big cluster. The API
// server (with the console at /ui) runs on an in-memory registry holding M Ready minions and N
// Running pods bound to them — the objects a cluster of hollow minions writes, without the kubelets,
// so the figure is the page's and the API's, not the machine's. Headless Chromium opens /ui; printed:
// the time from navigation to the first render (the header counts every pod and each minion box in
// view has drawn all of its pods; boxes far from view draw theirs when scrolled to), the page's JS
// heap, and the slowest frame while scrolling the whole map (every box in view drawn at each step).
import { CODECS, createApiServer } from '@coxswain/api';
import { CONSOLE_ASSETS_DIR } from '@coxswain/console';
import type { Minion, Pod } from '@coxswain/objects';
import { memoryRegistry, openBrowser } from '@coxswain/testing';
import { countFlag } from './count-flag';
import { createInBatches } from './create-in-batches';

/** In the page: every minion box in the viewport has drawn each of its pods. */
const viewDrawn = `() => {
  const inView = [...document.querySelectorAll('.minion')].filter((b) => { const r = b.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; });
  return inView.length > 0 && inView.every((b) => b.hasAttribute('data-drawn') && b.querySelectorAll('[data-pod]').length === Number(b.dataset.count));
}`;

export async function consoleBench(argv: string[]): Promise<void> {
  const pods = countFlag(argv, '--pods', argv.includes('--quick') ? 2000 : 20_000);
  const minions = countFlag(argv, '--minions', 200);
  const registry = memoryRegistry();
  const minionNames = Array.from({ length: minions }, (_, i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
  await registry.createMany<Minion>(
    minionNames.map((name) => ({ apiVersion: 'v1', kind: 'Minion', metadata: { name, labels: { hollow: 'true' } }, status: { capacity: { cpu: '8', memory: '32Gi', pods: '200' }, conditions: [{ type: 'Ready', status: 'True' }] } }) as Minion),
  );
  await createInBatches(
    registry,
    pods,
    (i): Pod =>
      ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `hollow-${i}`, namespace: 'default', labels: { app: `app-${i % 50}` } },
        spec: { nodeName: minionNames[i % minions]!, containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      }) as Pod,
  );
  const server = createApiServer({ store: registry, codecs: CODECS, port: 0, consoleDir: CONSOLE_ASSETS_DIR });
  await server.listen();
  // A cluster's API server has served lists before anyone opens the page: one LIST first, so the
  // figure is the page's and not a fresh process's JIT warm-up (that first LIST is printed too).
  const warmStart = Date.now();
  await (await fetch(`${server.url}/api/v1/pods`)).text();
  const warmUpMs = Date.now() - warmStart;
  const browser = await openBrowser();
  try {
    const { page } = browser;
    const started = Date.now();
    await page.goto(`${server.url}/ui`);
    await page.waitForFunction(`(${viewDrawn})() && document.querySelector('[data-testid=counts]').textContent === '${minions} minions · ${pods} pods'`, undefined, { timeout: 120_000, polling: 'raf' });
    const renderMs = Date.now() - started;
    const drawnAtFirst = (await page.evaluate(`document.querySelectorAll('.minion [data-pod]').length`)) as number;
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number };
    // Scroll the whole map in 60 steps, one per frame, and keep the slowest frame; at each step the
    // boxes in view must be drawn by the next frame or two (counted when they are not).
    const scroll = (await page.evaluate(`(async () => {
      const viewDrawn = ${viewDrawn};
      let worst = 0, undrawn = 0, last = performance.now();
      const step = document.documentElement.scrollHeight / 60;
      for (let i = 1; i <= 60; i++) {
        window.scrollTo(0, i * step);
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        worst = Math.max(worst, now - last);
        last = now;
        await new Promise((r) => requestAnimationFrame(r));
        if (!viewDrawn()) undrawn++;
        last = performance.now();
      }
      return { worst, undrawn };
    })()`)) as { worst: number; undrawn: number };
    console.log(`console: ${pods} pods on ${minions} minions: first render ${renderMs} ms (goal < 1000; ${drawnAtFirst} pods in view drawn), JS heap ${(heap.usedSize / 2 ** 20).toFixed(1)} MiB (the server's first LIST, before: ${warmUpMs} ms), slowest scroll frame ${scroll.worst.toFixed(1)} ms (${scroll.undrawn} of 60 steps with a box in view not yet drawn two frames later)`);
    if (browser.errors.length) console.log(`console: the page logged ${browser.errors.length} errors: ${browser.errors.slice(0, 3).join(' | ')}`);
  } finally {
    await browser.close();
    await server.close();
    await registry.close();
  }
}
