// Integration: the scheduler with the replication manager on a real etcd (kubelets simulated).
import type { Minion, Pod, ReplicationController } from '@coxswain/objects';
import { runReplicationManager, runScheduler } from './reconcilers';
import type { ReconcilerHandle } from './reconciler-process';
import { eventually } from '@coxswain/testing';
import { TestCluster } from './testing/cluster';
import { pod } from './testing/fixtures';

jest.setTimeout(60_000);

// The seed's redisSlaveController, in internal form.
function redisSlave(replicas: number): ReplicationController {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'redisSlaveController', namespace: 'default', labels: { name: 'redisslave' } },
    spec: {
      replicas,
      selector: { name: 'redisslave' },
      template: {
        metadata: { labels: { name: 'redisslave' } },
        spec: { containers: [{ name: 'slave', image: 'brendanburns/redis-slave', ports: [{ containerPort: 6379, hostPort: 6380 }] }] },
      },
    },
  };
}

describe('scheduler (real etcd)', () => {
  let cluster: TestCluster;
  let handles: ReconcilerHandle[] = [];

  beforeEach(async () => {
    cluster = await TestCluster.start();
    cluster.startKubelets();
  });
  afterEach(async () => {
    await Promise.all(handles.map((h) => h.stop()));
    handles = [];
    await cluster.stop();
  });

  it("places the seed's redis slaves (host port 6380) on different minions; a 4th stays Pending with the reason", async () => {
    for (const m of ['m1', 'm2', 'm3']) await cluster.addMinion(m);
    handles.push(await runScheduler({ etcdServers: cluster.endpoints, leaderElect: false }));
    handles.push(await runReplicationManager({ etcdServers: cluster.endpoints, leaderElect: false }));
    await cluster.store.create(redisSlave(2));
    const two = await eventually(async () => {
      const ps = (await cluster.pods('name=redisslave')).filter((p) => p.spec.nodeName);
      return ps.length === 2 ? ps : undefined;
    }, 10_000, '2 bound slaves');
    expect(new Set(two.map((p) => p.spec.nodeName)).size).toBe(2);

    await cluster.scale('redisSlaveController', 4);
    const pending = await eventually(async () => {
      const ps = await cluster.pods('name=redisslave');
      const unbound = ps.filter((p) => !p.spec.nodeName);
      return ps.length === 4 && unbound.length === 1 && unbound[0].status?.conditions?.some((c) => c.type === 'PodScheduled') ? unbound[0] : undefined;
    }, 10_000, '3 bound + 1 pending');
    const bound = (await cluster.pods('name=redisslave')).filter((p) => p.spec.nodeName);
    expect(new Set(bound.map((p) => p.spec.nodeName))).toEqual(new Set(['m1', 'm2', 'm3']));
    expect(pending.status?.phase).toBe('Pending');
    expect(pending.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: '0/3 minions fit: 3 host port 6380 in use',
    });
    const ev = await eventually(async () => (await cluster.events('FailedScheduling')).find((e) => e.involvedObject.name === pending.metadata.name), 5000, 'event');
    expect(ev.message).toBe('0/3 minions fit: 3 host port 6380 in use');
    expect(ev.type).toBe('Warning');
    expect(Number(ev.involvedObject.resourceVersion)).toBeGreaterThan(0);

    // Not a hot loop: the pod is retried on news (here a minion relabelled, which does not make it
    // fit), once per change after the 1 s debounce; its own status write and events bring no retry.
    // Two such rounds take seconds, in which a hot loop would count far more.
    const failures = async () => (await cluster.events('FailedScheduling')).find((e) => e.involvedObject.name === pending.metadata.name)?.count ?? 0;
    let count = await failures();
    for (const m of ['m1', 'm2']) {
      await cluster.store.guaranteedUpdate<Minion>('minions', undefined, m, (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, relabelled: 'yes' } } }));
      const before = count;
      count = await eventually(async () => {
        const n = await failures();
        return n > before && n;
      }, 10_000, `a retry after ${m} changed`);
    }
    // The first try, one per relabel, and at most one for the third slave's binding being confirmed.
    expect(count).toBeLessThanOrEqual(4);

    // A fourth minion arrives: the pending pod is retried and lands there.
    await cluster.addMinion('m4');
    await eventually(async () => (await cluster.store.get<Pod>('pods', 'default', pending.metadata.name)).spec.nodeName === 'm4', 10_000, 'pending pod bound to m4');
  });

  it('binds many pods quickly, each exactly once, respecting capacity', async () => {
    for (let i = 0; i < 10; i++) await cluster.addMinion(`m${i}`, { cpu: '4', memory: '8Gi' });
    handles.push(await runScheduler({ etcdServers: cluster.endpoints, leaderElect: false }));
    await handles[0].running;
    const n = 300;
    const started = Date.now();
    await Promise.all(Array.from({ length: n }, (_, i) => cluster.store.create(pod(`p${i}`, { cpu: '100m', memory: '100Mi', resourceVersion: '' }))));
    const bound = await eventually(async () => {
      const ps = (await cluster.pods()).filter((p) => p.spec.nodeName);
      return ps.length === n ? ps : undefined;
    }, 30_000, `${n} bound pods`);
    const secs = (Date.now() - started) / 1000;
    const perMinion = new Map<string, number>();
    for (const p of bound) perMinion.set(p.spec.nodeName!, (perMinion.get(p.spec.nodeName!) ?? 0) + 1);
    // 4 cpu / 100m = 40 per minion at most; least-requested spreads them evenly.
    expect(Math.max(...perMinion.values())).toBeLessThanOrEqual(40);
    expect(Math.max(...perMinion.values()) - Math.min(...perMinion.values())).toBeLessThanOrEqual(2);
    // Each bound exactly once: one bound-pod key per pod.
    const boundKeys = await Promise.all([...perMinion.keys()].map((m) => cluster.store.listBoundPods(m)));
    expect(boundKeys.reduce((a, r) => a + r.items.length, 0)).toBe(n);
    console.log(`created and bound ${n} pods in ${secs.toFixed(2)} s`);
  });
});
