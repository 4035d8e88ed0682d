// runProxy on a real etcd: objects written through the store drive the proxy's listeners.
import * as http from 'http';
import * as net from 'net';
import type { Registry } from '@coxswain/registry';
import { etcdRegistry, eventually, freePort, startEtcd, type EtcdHarness } from '@coxswain/testing';
import { type Endpoints, type Event, type Minion, type Service } from '@coxswain/objects';
import { runProxy, type RunningProxy } from './run-proxy';
import { fetchText, startNamedBackend, type NamedBackend } from './testing/fixtures';

const SERVICE_ADDRESS = '127.0.1.24';

let etcd: EtcdHarness;
let store: Registry;
let running: RunningProxy | undefined;
const backends: NamedBackend[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  store = etcdRegistry(etcd.client());
  for (const n of ['pod-a', 'pod-b', 'pod-c']) backends.push(await startNamedBackend(n));
}, 30_000);

afterAll(async () => {
  await running?.stop();
  await Promise.all(backends.map((b) => b.close()));
  await store?.close();
  await etcd?.stop();
});

function get(port: number, path: string, host = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

async function fetchCounts(port: number, n: number): Promise<Record<string, number>> {
  const c: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = await fetchText(SERVICE_ADDRESS, port);
    c[name] = (c[name] ?? 0) + 1;
  }
  return c;
}

function endpointsOf(name: string, bs: NamedBackend[]): Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace: 'default' },
    subsets: bs.map((b) => ({ addresses: [{ ip: b.host }], ports: [{ name: 'http', port: b.port, protocol: 'TCP' as const }] })),
  };
}

it('serves services from etcd on the minion service address, follows endpoints, reports health, metrics and events', async () => {
  const minion: Minion = { apiVersion: 'v1', kind: 'Minion', metadata: { name: 'minion-p' }, spec: {} };
  const created = await store.create(minion);
  await store.updateStatus<Minion>({
    ...created,
    status: { addresses: [{ type: 'InternalIP', address: '127.0.1.25' }], serviceAddress: SERVICE_ADDRESS },
  });

  const port = await freePort(SERVICE_ADDRESS);
  const svc: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { ports: [{ name: 'http', port, targetPort: 8080, protocol: 'TCP' }], selector: { app: 'web' } },
  };
  await store.create(svc);
  await store.create(endpointsOf('web', backends));

  running = await runProxy({ store, minion: 'minion-p', healthzPort: 0, proxy: { bindBackoff: { initialMs: 50, maxMs: 200 } } });
  expect(running.bindAddress).toBe(SERVICE_ADDRESS);
  expect(running.health.host).toBe('127.0.1.25');
  expect(await running.synced).toBe(true);
  const health = await get(running.health.port, '/healthz', running.health.host);
  expect(health.status).toBe(200);

  // 30 requests reach all 3 endpoints.
  await eventually(() => fetchText(SERVICE_ADDRESS, port), 10_000, 'the service answering');
  expect(Object.keys(await fetchCounts(port, 30)).sort()).toEqual(['pod-a', 'pod-b', 'pod-c']);

  // Scaled to one endpoint: everything goes there.
  const ep = await store.get<Endpoints>('endpoints', 'default', 'web');
  await store.update<Endpoints>({ ...endpointsOf('web', [backends[2]]), metadata: ep.metadata });
  await eventually(async () => {
    expect(await fetchCounts(port, 6)).toEqual({ 'pod-c': 6 });
    return true;
  }, 10_000, 'every request on pod-c');

  const metrics = await get(running.health.port, '/metrics', running.health.host);
  expect(metrics.body).toMatch(/coxswain_proxy_connections_total\{namespace="default",service="web",port="http",protocol="TCP"\} \d+/);
  expect(metrics.body).toContain('coxswain_proxy_endpoints{namespace="default",service="web",port="http",protocol="TCP"} 1');

  // A service whose port is taken: a PortUnavailable warning event, then it serves once freed.
  const busyPort = await freePort(SERVICE_ADDRESS);
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(busyPort, SERVICE_ADDRESS, r));
  await store.create<Service>({ ...svc, metadata: { name: 'busy', namespace: 'default' }, spec: { ...svc.spec, ports: [{ name: 'http', port: busyPort, protocol: 'TCP' }] } });
  await store.create(endpointsOf('busy', [backends[0]]));
  const event = await eventually(async () => {
    const events = await store.list<Event>('events', { namespace: 'default' });
    const e = events.items.find((x) => x.involvedObject.name === 'busy' && x.reason === 'PortUnavailable');
    if (!e) throw new Error('no event yet');
    return e;
  }, 10_000, 'a PortUnavailable event');
  expect(event.type).toBe('Warning');
  expect(event.message).toContain('EADDRINUSE');
  expect(event.source).toEqual({ component: 'proxy', host: 'minion-p' });
  await new Promise((r) => squatter.close(r));
  expect(await eventually(() => fetchText(SERVICE_ADDRESS, busyPort), 10_000, 'the freed port answering')).toBe('pod-a');

  // Deleting the service closes its port.
  await store.delete('services', 'default', 'web');
  await eventually(async () => {
    await expect(fetchText(SERVICE_ADDRESS, port)).rejects.toThrow(/ECONNREFUSED/);
    return true;
  }, 10_000, 'the deleted service refusing');
}, 60_000);
