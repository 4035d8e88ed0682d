// Issue #18's must-show on quotas, on a real etcd with the API server and the replication manager
// (no minions: what is shown is what gets created, not run):
//   - an RC asking for 2^31 replicas is a 422 naming spec.replicas;
//   - a namespace quota of 20 pods and an RC of 50: exactly 20 pods, the rest refused with
//     FailedCreate events naming the quota, the quota's status 20/20, `kubecfg describe` showing it;
//   - the API keeps answering meanwhile: the p99 of list, get and create/delete calls made during
//     the churn is printed.
import { CODECS, createApiServer, type ApiServer } from '@coxswain/api';
import { openRegistry, type Registry } from '@coxswain/registry';
import { runReplicationManager, type ReconcilerHandle } from '@coxswain/reconcilers';
import { eventually, startEtcd, type EtcdHarness } from '@coxswain/testing';
import { kubecfgFor, mustSucceed } from './support/kubecfg';

jest.setTimeout(120_000);

const NS = 'team-a';
let etcd: EtcdHarness;
let store: Registry;
let api: ApiServer;
let rm: ReconcilerHandle;

beforeAll(async () => {
  etcd = await startEtcd();
  store = openRegistry(etcd.endpoints);
  api = createApiServer({ store, codecs: CODECS, address: '127.0.0.1', port: 0 });
  await api.listen();
  await api.ready();
  rm = await runReplicationManager({ etcdServers: etcd.endpoints, leaderElect: false });
  await rm.running;
});
afterAll(async () => {
  await rm?.stop();
  await api?.close();
  await store?.close();
  await etcd?.stop();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${api.url}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

const rc = (replicas: number) => ({
  kind: 'ReplicationController',
  apiVersion: 'v1',
  metadata: { name: 'web' },
  spec: { replicas, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'busybox' }] } } },
});

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

it('refuses an RC of 2^31 replicas with a 422 naming spec.replicas, and writes nothing', async () => {
  const before = await store.currentRevision();
  const r = await call('POST', `/api/v1/namespaces/${NS}/replicationcontrollers`, rc(2 ** 31));
  expect(r.status).toBe(422);
  expect(r.json.details.causes).toEqual([expect.objectContaining({ field: 'spec.replicas', message: 'must be at most 2147483647' })]);
  expect(await store.currentRevision()).toBe(before);
});

it('holds an RC of 50 to a quota of 20 pods: exactly 20, the rest refused with events naming the quota, the API answering meanwhile', async () => {
  // Objects go only into namespaces that exist (NamespaceLifecycle).
  for (const name of [NS, 'other']) expect((await call('POST', '/api/v1/namespaces', { metadata: { name } })).status).toBe(201);
  const q = await call('POST', `/api/v1/namespaces/${NS}/resourcequotas`, { kind: 'ResourceQuota', apiVersion: 'v1', metadata: { name: 'pod-budget' }, spec: { hard: { pods: '20' } } });
  expect(q.status).toBe(201);
  expect(q.json.status).toEqual({ hard: { pods: '20' }, used: { pods: '0' } });

  const started = Date.now();
  expect((await call('POST', `/api/v1/namespaces/${NS}/replicationcontrollers`, rc(50))).status).toBe(201);

  // API calls of other users while the replication manager runs into the quota: bounded in count.
  const latencies: number[] = [];
  const failures: string[] = [];
  let refusedSeen = false;
  const timed = async (method: string, path: string, body?: unknown) => {
    const t0 = performance.now();
    const r = await call(method, path, body);
    latencies.push(performance.now() - t0);
    if (r.status >= 300) failures.push(`${method} ${path} -> ${r.status}`);
  };
  for (let i = 0; i < 300 && !(refusedSeen && latencies.length >= 150); i++) {
    await Promise.all([
      timed('GET', `/api/v1/namespaces/${NS}/pods`),
      timed('GET', `/api/v1/namespaces/${NS}/resourcequotas/pod-budget`),
      timed('POST', '/api/v1/namespaces/other/services', { kind: 'Service', apiVersion: 'v1', metadata: { name: `s${i}` }, spec: { ports: [{ port: 80 }], selector: { app: 'x' } } }).then(() =>
        timed('DELETE', `/api/v1/namespaces/other/services/s${i}`),
      ),
    ]);
    if (i % 10 === 9) refusedSeen = (await store.list('events', { namespace: NS })).items.some((e: any) => e.reason === 'FailedCreate');
  }

  const pods = await eventually(async () => {
    const items = (await store.list('pods', { namespace: NS })).items;
    return items.length === 20 && items;
  }, 30_000, '20 pods');
  const refusals = await eventually(async () => {
    const events = (await store.list<any>('events', { namespace: NS })).items.filter((e) => e.reason === 'FailedCreate');
    return events.length > 0 && events;
  }, 30_000, 'a FailedCreate event');
  expect(refusals[0].involvedObject).toMatchObject({ kind: 'ReplicationController', name: 'web' });
  expect(refusals[0].message).toMatch(/exceeded quota: pod-budget, requested: pods=1, used: pods=20, limited: pods=20/);
  expect((await call('GET', `/api/v1/namespaces/${NS}/resourcequotas/pod-budget`)).json.status.used).toEqual({ pods: '20' });

  // It stays at 20: the manager tries again (10 s, or a pod event) and is refused again.
  const successes = async () => (await store.list<any>('events', { namespace: NS })).items.filter((e) => e.reason === 'SuccessfulCreate').reduce((n, e) => n + e.count, 0);
  expect(await successes()).toBe(20);
  // A freed place is refilled by a new pod. (Its SuccessfulCreate event may wait: the recorder's
  // per-object token bucket, Kubernetes' spam filter, is spent by now on this RC's refusals.)
  await store.delete('pods', NS, pods[0]!.metadata.name);
  const before = new Set(pods.map((p) => p.metadata.name));
  await eventually(async () => {
    const now = (await store.list('pods', { namespace: NS })).items;
    return now.length === 20 && !now.some((p) => p.metadata.name === pods[0]!.metadata.name) && now.some((p) => !before.has(p.metadata.name));
  }, 30_000, 'the freed place refilled');
  expect((await store.list('pods', { namespace: NS })).items).toHaveLength(20);

  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    `quota 20 pods, RC of 50: 20 pods and a FailedCreate naming the quota ${Date.now() - started} ms after the RC was created; ` +
      `${refusals[0].count} refusal(s) recorded; API during the churn: ${sorted.length} calls, p50 ${percentile(sorted, 50).toFixed(1)} ms, ` +
      `p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms`,
  );
  expect(failures).toEqual([]);

  // The probe's flood: replicas 1e9 fits an int32 (Kubernetes accepts it too); the quota holds it,
  // and each retry costs one refused create, not a thousand writes. The manager has acted on the
  // new size once the RC's status observes its generation, still with the quota's refusal.
  const revisionBefore = Number(await store.currentRevision());
  const scaled = await fetch(`${api.url}/api/v1/namespaces/${NS}/replicationcontrollers/web`, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ spec: { replicas: 1e9 } }) });
  expect(scaled.status).toBe(200);
  const generation = ((await scaled.json()) as { metadata: { generation: number } }).metadata.generation;
  await eventually(async () => {
    const rc = await store.get<any>('replicationControllers', NS, 'web');
    const failure = rc.status?.conditions?.find((c: { type: string }) => c.type === 'ReplicaFailure');
    return rc.status?.observedGeneration >= generation && /exceeded quota: pod-budget/.test(failure?.message ?? '');
  }, 30_000, 'the manager acting on 1e9 replicas, refused by the quota');
  expect((await store.list('pods', { namespace: NS })).items).toHaveLength(20);
  const writes = Number(await store.currentRevision()) - revisionBefore;
  console.log(`replicas 1e9 under the quota: still 20 pods; ${writes} etcd revisions from the scale to the manager's refused status`);
  expect(writes).toBeLessThan(50);

  const kubecfg = kubecfgFor('/nonexistent/config.json', process.cwd());
  expect(await mustSucceed(kubecfg, '-s', api.url, 'describe', 'rc', 'web', '-n', NS)).toMatch(/Warning\s+FailedCreate\s+.*exceeded quota: pod-budget/);
  expect(await mustSucceed(kubecfg, '-s', api.url, 'get', 'quota', '-n', NS)).toMatch(/pod-budget\s+\S+\s+pods: 20\/20/);
});
