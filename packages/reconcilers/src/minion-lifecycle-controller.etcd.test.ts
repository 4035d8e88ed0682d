// Integration: a minion that stops heartbeating turns NotReady, then its pods are recreated elsewhere.
import type { Minion } from '@coxswain/objects';
import { MinionLease } from '@coxswain/registry';
import { runMinionController, runReplicationManager, runScheduler } from './reconcilers';
import type { ReconcilerHandle } from './reconciler-process';
import { eventually } from '@coxswain/testing';
import { TestCluster } from './testing/cluster';
import { rc } from './testing/fixtures';

jest.setTimeout(60_000);

describe('minion lifecycle controller (real etcd)', () => {
  let cluster: TestCluster;
  const handles: ReconcilerHandle[] = [];
  const beats = new Map<string, NodeJS.Timeout>();

  /** What a kubelet does: keep its heartbeat lease alive (a 3 s lease, renewed every second). */
  async function heartbeat(name: string) {
    const lease = new MinionLease(cluster.store.storage, { name }, 3);
    await lease.renew();
    beats.set(name, setInterval(() => void lease.renew().catch(() => undefined), 1000));
  }
  function silence(name: string) {
    clearInterval(beats.get(name));
    beats.delete(name);
  }

  beforeAll(async () => {
    cluster = await TestCluster.start();
    for (const m of ['m1', 'm2', 'm3']) {
      await cluster.addMinion(m);
      await heartbeat(m);
    }
    cluster.startKubelets();
  });
  afterAll(async () => {
    await Promise.all(handles.map((h) => h.stop()));
    for (const name of [...beats.keys()]) silence(name);
    await cluster.stop();
  });

  it('marks a silent minion NotReady after the grace period, evicts its pods after the timeout, and readmits it on heartbeat', async () => {
    const ends = cluster.endpoints;
    handles.push(await runScheduler({ etcdServers: ends, leaderElect: false }));
    handles.push(await runReplicationManager({ etcdServers: ends, leaderElect: false }));
    handles.push(await runMinionController({ etcdServers: ends, leaderElect: false, gracePeriodMs: 1500, evictionTimeoutMs: 2000, leasePollMs: 200 }));
    await Promise.all(handles.map((h) => h.running));

    await cluster.store.create(rc('web', 3, { app: 'web' }));
    const pods = await eventually(async () => {
      const ps = (await cluster.pods('app=web')).filter((p) => p.status?.phase === 'Running');
      return ps.length === 3 ? ps : undefined;
    }, 10_000, '3 running pods');
    const victim = pods[0].spec.nodeName!;
    const onVictim = pods.filter((p) => p.spec.nodeName === victim).map((p) => p.metadata.name);

    // The victim's kubelet dies: no more keepalives (the key expires with its 3 s lease).
    const silentAt = Date.now();
    silence(victim);
    cluster.up.delete(victim);

    const notReady = await eventually(async () => {
      const m = await cluster.store.get<Minion>('minions', undefined, victim);
      const ready = m.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'Unknown' ? ready : undefined;
    }, 15_000, 'victim NotReady');
    const notReadyAfter = Date.now() - silentAt;
    expect(notReady.reason).toBe('MinionStatusUnknown');
    // Silence counts from the lease's last keepalive, which etcd3 sends every TTL/3 (1 s) and etcd
    // reports at second granularity: not before grace (1.5 s) minus that second.
    expect(notReadyAfter).toBeGreaterThanOrEqual(1500 - 1000);
    await eventually(async () => (await cluster.events('MinionNotReady')).some((e) => e.involvedObject.name === victim), 3000, 'MinionNotReady event');

    // Its pods are deleted after the eviction timeout and recreated on the other minions.
    await eventually(async () => {
      const ps = (await cluster.pods('app=web')).filter((p) => p.status?.phase === 'Running');
      return ps.length === 3 && ps.every((p) => p.spec.nodeName !== victim && !onVictim.includes(p.metadata.name));
    }, 15_000, 'pods recreated elsewhere');
    expect(Date.now() - silentAt).toBeGreaterThanOrEqual(3500 - 1000);
    expect((await cluster.events('DeletingAllPods')).some((e) => e.involvedObject.name === victim)).toBe(true);

    // It comes back.
    cluster.up.add(victim);
    await heartbeat(victim);
    await eventually(async () => {
      const m = await cluster.store.get<Minion>('minions', undefined, victim);
      return m.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    }, 5000, 'victim Ready again');
    await eventually(async () => (await cluster.events('MinionReady')).some((e) => e.involvedObject.name === victim), 3000, 'MinionReady event');
  });

  it('a minion silent past the grace period but back before eviction gets its pods Ready again', async () => {
    // The controller of the first test runs on (grace 1.5 s, eviction 2 s); a longer eviction here.
    await Promise.all(handles.splice(0).map((h) => h.stop()));
    const ends = cluster.endpoints;
    handles.push(await runMinionController({ etcdServers: ends, leaderElect: false, gracePeriodMs: 1500, evictionTimeoutMs: 60_000, leasePollMs: 200 }));
    await Promise.all(handles.map((h) => h.running));
    const web = (await cluster.pods('app=web')).filter((p) => p.status?.phase === 'Running');
    const minion = web[0].spec.nodeName!;
    const mine = web.filter((p) => p.spec.nodeName === minion).map((p) => p.metadata.name);
    const readyOf = async () => (await cluster.pods('app=web')).filter((p) => mine.includes(p.metadata.name)).map((p) => p.status?.conditions?.find((c) => c.type === 'Ready'));

    silence(minion);
    await eventually(async () => (await readyOf()).every((c) => c?.status === 'False' && c.reason === 'MinionNotReady'), 15_000, 'its pods marked not ready');
    await heartbeat(minion);
    await eventually(async () => (await readyOf()).every((c) => c?.status === 'True'), 10_000, 'its pods Ready again');
  });
});
