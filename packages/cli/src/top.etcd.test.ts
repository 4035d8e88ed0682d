// `kubecfg top` when a kubelet goes down: the API server's metrics pipeline scrapes two kubelets
// (stand-ins answering /stats/summary); once minion m2's stops answering, the next scrape drops its
// figures, and top shows m2 and its pod as <unknown> — never the figures last seen — while m1's stay.
// Stock kubectl top says the same in its words.
import { MetricsScraper } from '@coxswain/client';
import type { Minion, Pod } from '@coxswain/objects';
import { kubeconfigFor, kubectlRunner, startFakeKubelet, summaryOf, type FakeKubelet } from '@coxswain/testing';
import { ClusterHarness, startClusterHarness, tableCells } from './testing/cluster-harness';

const MiB = 2 ** 20;
let h: ClusterHarness;
let scraper: MetricsScraper;
const kubelets: FakeKubelet[] = [];

beforeAll(async () => {
  kubelets.push(await startFakeKubelet(summaryOf('m1', [{ name: 'web-1', cpu: 997e6, mem: 48 * MiB }])));
  kubelets.push(await startFakeKubelet(summaryOf('m2', [{ name: 'db-1', cpu: 3e6, mem: 200 * MiB }])));
  // The API server serves what the scraper (made once the store exists) last read.
  h = await startClusterHarness({ metrics: { get window() { return scraper.window; }, nodes: () => scraper.nodes(), pods: () => scraper.pods() } });
  scraper = new MetricsScraper({ store: h.store, timeoutMs: 1000 });
  for (const [i, k] of kubelets.entries()) {
    const m = await h.store.create<Minion>({ apiVersion: 'v1', kind: 'Minion', metadata: { name: `m${i + 1}` } } as Minion);
    await h.store.updateStatus<Minion>({ ...m, status: { kubeletEndpoint: k.url, capacity: { cpu: '2', memory: '4Gi' } } } as Minion);
  }
  for (const [name, minion] of [['web-1', 'm1'], ['db-1', 'm2']]) {
    const p = await h.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: minion, containers: [{ name: 'main', image: 'busybox' }] } } as Pod);
    await h.store.updateStatus<Pod>({ ...p, status: { phase: 'Running', hostIP: '127.0.0.1' } } as Pod);
  }
}, 60_000);

afterAll(async () => {
  await scraper?.stop();
  await Promise.all(kubelets.map((k) => k.close().catch(() => undefined)));
  await h?.stop();
});

/** `kubecfg top <what>` as rows by name (the header left out). */
async function top(what: string): Promise<Map<string, string[]>> {
  const r = await h.kubecfg(['top', what]);
  expect(r.stderr).toBe('');
  return new Map(tableCells(r.stdout).slice(1).map(([name, ...rest]) => [name.trim(), rest.map((c) => c.trim())]));
}

it('a kubelet that is down: its minion and pods read <unknown> at the next scrape, never the last figures; the other minion\'s stay', async () => {
  await scraper.scrape();
  let pods = await top('pods');
  expect([pods.get('web-1')![0], pods.get('web-1')![3]]).toEqual(['997m', '48Mi']);
  expect([pods.get('db-1')![0], pods.get('db-1')![3]]).toEqual(['3m', '200Mi']);
  expect((await top('minions')).get('m2')!.slice(0, 2)).toEqual(['1500m', '75%']);

  await kubelets[1].close();
  await scraper.scrape();
  pods = await top('pods');
  expect([pods.get('web-1')![0], pods.get('web-1')![3]]).toEqual(['997m', '48Mi']);
  expect([pods.get('db-1')![0], pods.get('db-1')![3]]).toEqual(['<unknown>', '<unknown>']);
  const minions = await top('minions');
  expect(minions.get('m1')![0]).toBe('1500m');
  expect(minions.get('m2')).toEqual(['<unknown>', '<unknown>', '<unknown>', '<unknown>']);

  // Stock kubectl: no figures for the pod, a NotFound as metrics-server answers, rather than an old figure.
  const kubectl = kubectlRunner(kubeconfigFor(h.url));
  await expect(kubectl('top', 'pod', 'db-1')).rejects.toThrow(/NotFound.*podmetrics.metrics.k8s.io "db-1" not found/);
  expect(await kubectl('top', 'pods')).toMatch(/^web-1\s+997m\s+48Mi\s*$/m);
}, 60_000);
