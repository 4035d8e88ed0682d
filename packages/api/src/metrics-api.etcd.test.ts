// metrics.k8s.io on a real API server and etcd: the pipeline scrapes two kubelets' /stats/summary
// (small HTTP servers answering in the summary API's shape, as the kubelet does) and serves
// NodeMetrics and PodMetrics as metrics-server does; a kubelet that stops answering loses its figures.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Minion, Pod } from '@coxswain/objects';
import { MetricsScraper, type MetricsSource } from '@coxswain/client';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';
import { eventually, startFakeKubelet, summaryOf, type FakeKubelet } from '@coxswain/testing';

const MiB = 2 ** 20;

/** The kubelets answer only the control plane's bearer secret (docs/kubelet.md). */
const KUBELET_CREDENTIAL = 'kubelet-secret-for-metrics-test';
const kubelet = (summary: unknown) => startFakeKubelet(summary, KUBELET_CREDENTIAL);

let fx: ApiFixture;
let scraper: MetricsScraper;
const kubelets: FakeKubelet[] = [];

beforeAll(async () => {
  const source: MetricsSource = { get window() { return scraper.window; }, nodes: () => scraper.nodes(), pods: () => scraper.pods() };
  fx = await startApiFixture({ metrics: source });
  scraper = new MetricsScraper({ store: fx.store, intervalMs: 15_000, timeoutMs: 1000, kubeletCredential: KUBELET_CREDENTIAL });
  kubelets.push(await kubelet(summaryOf('m1', [{ name: 'web-1', cpu: 997e6, mem: 48 * MiB }, { name: 'starting', mem: MiB }])));
  kubelets.push(await kubelet(summaryOf('m2', [{ name: 'db-1', cpu: 1e6, mem: 200 * MiB }])));
  for (const [i, k] of kubelets.entries()) {
    const m = await fx.store.create<Minion>({ apiVersion: 'v1', kind: 'Minion', metadata: { name: `m${i + 1}`, labels: { zone: i === 0 ? 'a' : 'b' } } } as Minion);
    await fx.store.updateStatus<Minion>({ ...m, status: { kubeletEndpoint: k.url } } as Minion);
  }
  for (const [name, app] of [['web-1', 'web'], ['db-1', 'db'], ['starting', 'web']]) {
    await fx.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } } as Pod);
  }
  await scraper.scrape();
});

afterAll(async () => {
  await scraper?.stop(); // its kept-alive connections would hold the test's process open
  await Promise.all(kubelets.map((k) => k.close().catch(() => undefined)));
  await fx?.stop();
});

const M = '/apis/metrics.k8s.io/v1beta1';

it('is listed at /apis and describes its two resources', async () => {
  expect((await call(fx.url, 'GET', '/apis')).json.groups).toContainEqual({
    name: 'metrics.k8s.io',
    versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }],
    preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' },
  });
  expect((await call(fx.url, 'GET', M)).json.resources.map((r: { name: string; kind: string }) => `${r.name}/${r.kind}`)).toEqual(['nodes/NodeMetrics', 'pods/PodMetrics']);
});

it('serves PodMetrics with the kubelets\' figures (nanocores, KiB); a pod without a CPU rate yet is left out', async () => {
  const list = (await call(fx.url, 'GET', `${M}/namespaces/default/pods`)).json;
  expect(list.kind).toBe('PodMetricsList');
  expect(list.items.map((p: { metadata: { name: string }; containers: unknown; window: string }) => ({ name: p.metadata.name, containers: p.containers, window: p.window }))).toEqual([
    { name: 'web-1', containers: [{ name: 'main', usage: { cpu: '997000000n', memory: `${48 * 1024}Ki` } }], window: '15s' },
    { name: 'db-1', containers: [{ name: 'main', usage: { cpu: '1000000n', memory: `${200 * 1024}Ki` } }], window: '15s' },
  ]);
  const one = await call(fx.url, 'GET', `${M}/namespaces/default/pods/web-1`);
  expect(one.json).toMatchObject({ kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { name: 'web-1', namespace: 'default' }, timestamp: '2026-12-05T10:00:00Z' });
  expect((await call(fx.url, 'GET', `${M}/namespaces/default/pods/starting`)).status).toBe(404);
  expect((await call(fx.url, 'GET', `${M}/namespaces/other/pods`)).json.items).toEqual([]);
});

it('selects by label against the objects in the store; a bad selector is a 400 naming it', async () => {
  const web = (await call(fx.url, 'GET', `${M}/namespaces/default/pods?labelSelector=app%3Dweb`)).json;
  expect(web.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(['web-1']);
  const zoneB = (await call(fx.url, 'GET', `${M}/nodes?labelSelector=zone%3Db`)).json;
  expect(zoneB.items.map((n: { metadata: { name: string }; usage: unknown }) => [n.metadata.name, n.usage])).toEqual([['m2', { cpu: '1500000000n', memory: `${1024 * 1024}Ki` }]]);
  const bad = await call(fx.url, 'GET', `${M}/namespaces/default/pods?labelSelector=app%20in%20(web`);
  expect(bad.status).toBe(400);
  expect(bad.json.message).toMatch(/labelSelector/);
});

it('a kubelet that stops answering: its node and pods are gone at the next scrape, not shown with old figures', async () => {
  await kubelets[1].close();
  await scraper.scrape();
  expect((await call(fx.url, 'GET', `${M}/nodes`)).json.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual(['m1']);
  expect((await call(fx.url, 'GET', `${M}/namespaces/default/pods/db-1`)).status).toBe(404);
  expect((await call(fx.url, 'GET', `${M}/nodes/m2`)).status).toBe(404);
  // What the cost bench prints when figures are missing: which share answered, and why one did not.
  expect(scraper.lastPass()).toEqual({ minions: 2, answered: 1, error: expect.stringMatching(/ECONNREFUSED|socket hang up|ECONNRESET/) });
});

it('a kubelet whose answer is not a summary: its minion has no figures, the others are served', async () => {
  const garbled = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"node": {"cpu": '));
  await new Promise<void>((r) => garbled.listen(0, '127.0.0.1', r));
  try {
    const m = await fx.store.create<Minion>({ apiVersion: 'v1', kind: 'Minion', metadata: { name: 'm3' } } as Minion);
    await fx.store.updateStatus<Minion>({ ...m, status: { kubeletEndpoint: `http://127.0.0.1:${(garbled.address() as AddressInfo).port}` } } as Minion);
    // The scraper's minions come from its informer: wait until a pass has fetched m3's answer (m1 and
    // m3 answer; m2's kubelet was closed above).
    await eventually(async () => (await scraper.scrape(), scraper.lastPass()?.answered === 2), 10_000, 'a pass that fetched m3');
    expect((await call(fx.url, 'GET', `${M}/nodes`)).json.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual(['m1']);
    expect((await call(fx.url, 'GET', `${M}/nodes/m3`)).status).toBe(404);
    expect((await call(fx.url, 'GET', `${M}/namespaces/default/pods/web-1`)).status).toBe(200);
  } finally {
    garbled.closeAllConnections();
    await new Promise((r) => garbled.close(r));
  }
});

it('a kubelet that takes the request and never answers: dropped at the pass\'s deadline, the others served', async () => {
  const silent = http.createServer(() => undefined); // reads the request, never answers
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const m = await fx.store.create<Minion>({ apiVersion: 'v1', kind: 'Minion', metadata: { name: 'm4' } } as Minion);
    await fx.store.updateStatus<Minion>({ ...m, status: { kubeletEndpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` } } as Minion);
    // The first pass that knows m4's endpoint waits for it until the 1 s deadline, and no longer.
    let took = 0;
    await eventually(async () => {
      const started = Date.now();
      await scraper.scrape();
      took = Date.now() - started;
      return took >= 900;
    }, 10_000, 'a pass that waited on m4');
    expect(took).toBeLessThan(3000);
    // m1 answers; m2 and m3 are closed (tests above), m4 is dropped at the deadline.
    expect(scraper.lastPass()).toMatchObject({ minions: 4, answered: 1 });
    expect((await call(fx.url, 'GET', `${M}/nodes/m4`)).status).toBe(404);
    expect((await call(fx.url, 'GET', `${M}/nodes/m1`)).status).toBe(200);
  } finally {
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
  }
});
