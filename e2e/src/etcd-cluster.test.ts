// Coxswain on a 3-member etcd cluster on loopback (members at 127.0.0.21..23): the API server, the
// scheduler, the replication manager and three minions whose kubelets use the in-memory runtime
// (cheap: no Docker), all given every member's URL. Killing one member (the raft leader, the
// harder case) loses nothing and the API keeps serving reads and writes; the member restarted on
// its data dir rejoins and catches up with what was written while it was down.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Etcd3 } from 'etcd3';
import { ApiClient, ClientWatchEvent, WatchClient } from '@coxswain/client';
import { ApiServerHandle, runApiServer } from '@coxswain/api';
import { ReconcilerHandle, runReplicationManager, runScheduler } from '@coxswain/reconcilers';
import { runKubelet, RunningKubelet } from '@coxswain/kubelet';
import { createEtcdClient } from '@coxswain/store';
import { eventually } from '@coxswain/testing';
import { EtcdCluster, EtcdMember } from './support/etcd-cluster';

jest.setTimeout(90_000);

const SEED = path.resolve(__dirname, '../../examples/seed-guestbook');
const seed = (file: string): unknown => JSON.parse(readFileSync(path.join(SEED, file), 'utf8'));
const manifests = {
  masterPod: seed('redis-master.json'),
  masterService: seed('redis-master-service.json'),
  slaveController: seed('redis-slave-controller.json'),
  slaveService: seed('redis-slave-service.json'),
};

let etcd: EtcdCluster;
let apiServer: ApiServerHandle;
let api: ApiClient;
const reconcilers: ReconcilerHandle[] = [];
const kubelets: RunningKubelet[] = [];
const clients: Etcd3[] = [];

/** A client that talks to one member only. */
function memberClient(m: EtcdMember): Etcd3 {
  const c = createEtcdClient([m.clientUrl]);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  etcd = await EtcdCluster.start(3, 21);
  apiServer = await runApiServer({ etcdServers: etcd.clientUrls, address: '127.0.0.1', port: 0 });
  api = new ApiClient({ server: apiServer.url, timeoutMs: 10_000 });
  reconcilers.push(await runScheduler({ etcdServers: etcd.clientUrls, leaderLeaseTtlSeconds: 5 }));
  reconcilers.push(await runReplicationManager({ etcdServers: etcd.clientUrls, leaderLeaseTtlSeconds: 5 }));
  // Three minions: the slaves' host port 6380 allows one slave per minion.
  for (const n of [41, 42, 43]) {
    kubelets.push(await runKubelet({ minion: `etcd-cluster-${n}`, address: `127.0.1.${n}`, etcdServers: etcd.clientUrls, runtime: 'memory', port: 0, heartbeatMs: 1000, resyncMs: 1000 }));
  }
});

afterAll(async () => {
  await Promise.all(kubelets.map((k) => k.stop()));
  await Promise.all(reconcilers.map((r) => r.stop()));
  await apiServer?.close();
  for (const c of clients) c.close();
  await etcd?.stop();
});

type Wire = Record<string, unknown> & { id: string; resourceVersion?: string | number };

async function list(resource: string, labelSelector?: string): Promise<Wire[]> {
  return (await api.list<Wire>(resource, { labelSelector })).items;
}
const running = (pods: Wire[]) => pods.filter((p) => (p.currentState as { status?: string } | undefined)?.status === 'Running');
const ids = (xs: Wire[]) => xs.map((x) => x.id).sort();

/** Everything under /registry as one member holds it, read locally (serializable: no quorum). */
async function registryOn(m: EtcdMember): Promise<{ revision: string; keys: Map<string, string> }> {
  const res = await memberClient(m).kv.range({ key: Buffer.from('/registry/'), range_end: Buffer.from('/registry0'), serializable: true });
  return { revision: res.header.revision, keys: new Map(res.kvs.map((kv) => [kv.key.toString(), kv.mod_revision])) };
}

async function leader(): Promise<EtcdMember> {
  for (const m of etcd.members) {
    const s = await memberClient(m).maintenance.status();
    if (s.leader === s.header.member_id) return m;
  }
  throw new Error('no etcd member says it leads');
}

const service = (id: string, port: number) => ({ kind: 'Service', apiVersion: 'v1beta1', id, port, containerPort: 80, selector: { name: id } });

describe('Coxswain on a 3-member etcd cluster', () => {
  let killed: EtcdMember;
  let before: Map<string, string>;
  const writtenDuringOutage: string[] = [];

  it('serves the seed guestbook objects with every member in the cluster', async () => {
    await api.create('pods', manifests.masterPod);
    await api.create('services', manifests.masterService);
    await api.create('replicationControllers', manifests.slaveController);
    await api.create('services', manifests.slaveService);
    for (let i = 0; i < 20; i++) await api.create('services', service(`before-${i}`, 20000 + i));
    await eventually(async () => running(await list('pods')).length === 3, 30_000, 'the master and 2 slaves Running on the memory kubelet', 250);
    // Every member holds the same registry.
    const views = await Promise.all(etcd.members.map(registryOn));
    expect(views[0].keys.size).toBeGreaterThan(25);
    for (const v of views.slice(1)) expect([...v.keys]).toEqual([...views[0].keys]);
  });

  it('keeps serving reads and writes with the leader member killed, and loses nothing', async () => {
    before = (await registryOn(etcd.members[0])).keys;
    const servicesBefore = await api.list<Wire>('services');
    const seen: ClientWatchEvent[] = [];
    const watch: WatchClient = api.watch('services', { resourceVersion: servicesBefore.resourceVersion, onEvent: (e) => void seen.push(e), backoff: { initialMs: 100, maxMs: 1000 } });
    try {
      killed = await leader();
      await etcd.kill(killed.name);
      const killedAt = Date.now();

      // A client's view: 30 writes and reads in a row, each retried on failure like kubecfg's user
      // would; every failure is counted, with how long after the kill it happened.
      const failures: { op: string; afterMs: number; error: string }[] = [];
      const attempt = async <T>(op: string, f: () => Promise<T>): Promise<T> => {
        const done = await eventually(
          async () => {
            try {
              return { value: await f() };
            } catch (e) {
              failures.push({ op, afterMs: Date.now() - killedAt, error: (e as Error).message.slice(0, 120) });
              throw e;
            }
          },
          30_000,
          `${op} to succeed`,
          100,
        );
        return done.value;
      };
      for (let i = 0; i < 30; i++) {
        await attempt('create', () => api.create('services', service(`during-${i}`, 21000 + i)));
        writtenDuringOutage.push(`during-${i}`);
        const got = await attempt('get', () => api.get<Wire>('services', `during-${i}`));
        expect(got.id).toBe(`during-${i}`);
        await attempt('list', () => api.list('pods'));
      }
      const elapsed = Date.now() - killedAt;
      console.log(
        `etcd leader ${killed.name} killed: 90 API calls in ${elapsed} ms, ${failures.length} failed attempts` +
          (failures.length ? `, the last ${failures[failures.length - 1].afterMs} ms after the kill: ${JSON.stringify(failures.slice(0, 5))}` : ''),
      );
      // What may fail, each as a 503 the caller retries: the one request in flight while the cluster
      // elects a new leader (etcd drops its proposal; it ends at the call deadline), and the first
      // request after each interval in which the API server's client skips the dead member (2 s).
      expect(failures.every((f) => /etcd unavailable/.test(f.error))).toBe(true);
      expect(failures.length).toBeLessThanOrEqual(2 + Math.ceil(elapsed / 2000));

      // Nothing lost: every object from before the kill is still there, unchanged unless it is one
      // whose status keeps moving (pods, minions) or the portal IP allocator's bitmap (each service
      // created during the outage takes an address); events and leases come and go by design.
      const survivor = etcd.members.find((m) => m !== killed)!;
      const after = (await registryOn(survivor)).keys;
      const moving = /^\/registry\/((pods|minions)\/|ranges\/serviceips$)/;
      for (const [key, rev] of before) {
        if (/^\/registry\/(events|leases)\//.test(key)) continue;
        expect({ key, present: after.has(key), rev: moving.test(key) ? 'moves' : after.get(key) }).toEqual({ key, present: true, rev: moving.test(key) ? 'moves' : rev });
      }
      // A request like those of the loop: the first after the client's 2 s skip of the dead member may get a 503.
      expect(ids(await attempt('list', () => list('services')))).toEqual(expect.arrayContaining([...writtenDuringOutage, 'redismaster', 'redisslave']));

      // The reconcilers and the kubelet work through the failover: a resize gets a third slave Running.
      const rc = await api.get<Wire>('replicationControllers', 'redisSlaveController');
      await api.update('replicationControllers', { ...rc, desiredState: { ...(rc.desiredState as object), replicas: 3 } });
      await eventually(async () => running(await list('pods', 'name=redisslave')).length === 3, 30_000, 'a third redis slave Running', 250);

      // The API watch opened before the kill saw every service created after it.
      await eventually(
        () => writtenDuringOutage.every((id) => seen.some((e) => e.type === 'ADDED' && (e.object as Wire).id === id)),
        30_000,
        'the services watch to report every service created during the outage',
        250,
      );
    } finally {
      await watch.close();
    }
  });

  it('the killed member rejoins on its data dir and catches up', async () => {
    await etcd.restart(killed.name);
    const survivor = etcd.members.find((m) => m !== killed)!;
    await eventually(
      async () => {
        const [mine, theirs] = await Promise.all([registryOn(killed), registryOn(survivor)]);
        return mine.revision === theirs.revision && JSON.stringify([...mine.keys]) === JSON.stringify([...theirs.keys]) && mine;
      },
      30_000,
      `${killed.name} to hold the same registry at the same revision as ${survivor.name}`,
      250,
    );
    const rejoined = (await registryOn(killed)).keys;
    for (const id of writtenDuringOutage) expect(rejoined.has(`/registry/services/default/${id}`)).toBe(true);

    // And it serves as a full member again: a write through the API is visible on it.
    await api.create('services', service('after-rejoin', 22000));
    await eventually(async () => (await registryOn(killed)).keys.has('/registry/services/default/after-rejoin'), 30_000, 'the new service on the rejoined member', 250);
    const statuses = await Promise.all(etcd.members.map((m) => memberClient(m).maintenance.status()));
    expect(new Set(statuses.map((s) => s.leader)).size).toBe(1);
  });
});
