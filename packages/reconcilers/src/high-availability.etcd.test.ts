// Integration: two schedulers and two replication managers at once, in their own processes.
import type { Etcd3 } from 'etcd3';
import { runReplicationManager, runScheduler } from './reconcilers';
import { eventually, spawnReconciler, SpawnedReconciler } from '@coxswain/testing';
import { TestCluster } from './testing/cluster';
import { rc } from './testing/fixtures';

jest.setTimeout(120_000);

const TTL = 3;
/** The outage scenario's length: longer than a TTL, so every session is lost while etcd is away. */
const OUTAGE_MS = 20_000;

describe('leader-elected reconcilers (real etcd)', () => {
  let cluster: TestCluster;
  let etcdClient: Etcd3; // closed by the harness
  const children: SpawnedReconciler[] = [];

  beforeEach(async () => {
    cluster = await TestCluster.start();
    etcdClient = cluster.etcd.client();
    for (const m of ['m1', 'm2', 'm3']) await cluster.addMinion(m);
    cluster.startKubelets();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.child.kill('SIGKILL');
      await c.exited;
    }
    await cluster.stop();
  });

  async function createdCount(): Promise<number> {
    return (await cluster.events('SuccessfulCreate')).reduce((n, e) => n + e.count, 0);
  }

  /** Candidates in an election: each puts a key under the election's prefix while it campaigns or leads. */
  async function candidates(name: string): Promise<number> {
    return (await etcdClient.getAll().prefix(`/coxswain/leader/${name}/`).keys()).length;
  }

  /** The replication manager has counted `replicas` pods of the controller: its decisions on them are made. */
  async function observed(name: string, replicas: number): Promise<boolean> {
    const status = (await cluster.rc(name)).status;
    return status?.replicas === replicas && status.readyReplicas === replicas;
  }

  it('one of each leads; no double bind, no overshoot; a killed leader is replaced within 2 x TTL', async () => {
    const opts = { etcdServers: cluster.endpoints, leaderElect: true, leaderLeaseTtlSeconds: TTL };
    const schedulers = [spawnReconciler('runScheduler', opts), spawnReconciler('runScheduler', opts)];
    const managers = [spawnReconciler('runReplicationManager', opts), spawnReconciler('runReplicationManager', opts)];
    children.push(...schedulers, ...managers);
    await Promise.race(schedulers.map((s) => s.running));
    await Promise.race(managers.map((s) => s.running));
    // Both of each are in the election (the standby is waiting on the leader's key): one runs.
    await eventually(async () => (await candidates('scheduler')) === 2 && (await candidates('replication-manager')) === 2, 10_000, 'both candidates of each campaigning');
    expect(schedulers.filter((s) => s.isRunning()).length).toBe(1);
    expect(managers.filter((s) => s.isRunning()).length).toBe(1);

    await cluster.store.create(rc('web', 6, { app: 'web' }));
    await eventually(async () => (await cluster.pods('app=web')).filter((p) => p.status?.phase === 'Running').length === 6, 20_000, '6 running');
    expect((await cluster.pods('app=web')).length).toBe(6);
    // Still one of each after that work.
    expect(schedulers.filter((s) => s.isRunning()).length).toBe(1);
    expect(managers.filter((s) => s.isRunning()).length).toBe(1);

    // Kill both leaders outright.
    const leaderS = schedulers.find((s) => s.isRunning())!;
    const leaderM = managers.find((s) => s.isRunning())!;
    const standbyS = schedulers.find((s) => s !== leaderS)!;
    const standbyM = managers.find((s) => s !== leaderM)!;
    const killedAt = Date.now();
    leaderS.child.kill('SIGKILL');
    leaderM.child.kill('SIGKILL');
    await Promise.all([standbyS.running, standbyM.running]);
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThan(2 * TTL * 1000);

    await cluster.scale('web', 9);
    await eventually(async () => (await cluster.pods('app=web')).filter((p) => p.status?.phase === 'Running').length === 9, 20_000, '9 running');
    // No overshoot: once the new manager has counted the 9 (and their events are written), there are 9.
    await eventually(() => observed('web', 9), 10_000, 'the manager counting 9 ready pods');
    await eventually(async () => (await createdCount()) >= 9, 10_000, '9 SuccessfulCreate counted');
    const pods = await cluster.pods('app=web');
    expect(pods.length).toBe(9);
    expect(await createdCount()).toBe(9);
    // Every pod bound exactly once: bound-pod keys match the pods' nodeName one to one.
    const bound = (await Promise.all(['m1', 'm2', 'm3'].map((m) => cluster.store.listBoundPods(m)))).flatMap((r) => r.items);
    expect(bound.map((p) => p.metadata.name).sort()).toEqual(pods.map((p) => p.metadata.name).sort());
    console.log(`standby took over ${takeoverMs} ms after the leaders were killed (TTL ${TTL} s)`);
  });

  it('restarting a reconciler mid-work ends in the same state', async () => {
    const opts = { etcdServers: cluster.endpoints, leaderElect: true, leaderLeaseTtlSeconds: TTL };
    let s = await runScheduler(opts);
    let m = await runReplicationManager(opts);
    await Promise.all([s.running, m.running]);
    await cluster.store.create(rc('web', 60, { app: 'web' }));
    // Stop both while they are creating and binding.
    await eventually(async () => (await cluster.pods('app=web')).length >= 5, 10_000, 'some pods');
    await Promise.all([s.stop(), m.stop()]);
    const midway = await cluster.pods('app=web');
    s = await runScheduler(opts);
    m = await runReplicationManager(opts);
    try {
      await eventually(async () => {
        const ps = await cluster.pods('app=web');
        return ps.length === 60 && ps.every((p) => p.spec.nodeName);
      }, 20_000, '60 bound pods');
      // Once the restarted manager has counted the 60, it has made its decisions on them: still 60.
      await eventually(() => observed('web', 60), 10_000, 'the manager counting 60 ready pods');
      expect((await cluster.pods('app=web')).length).toBe(60);
      expect((await cluster.rc('web')).status).toMatchObject({ replicas: 60, observedGeneration: 1 });
      console.log(`restarted with ${midway.length} pods created, ${midway.filter((p) => p.spec.nodeName).length} bound`);
    } finally {
      await Promise.all([s.stop(), m.stop()]);
    }
  });

  // etcd killed for ~20 s under running reconcilers: they lose their sessions, keep their processes,
  // campaign again with a short backoff and lead again within seconds of etcd answering.
  it('across a 20 s etcd outage the processes stay up and a scale request is served within TTL + 3 s of etcd answering', async () => {
    const opts = { etcdServers: cluster.endpoints, leaderElect: true, leaderLeaseTtlSeconds: TTL };
    const scheduler = spawnReconciler('runScheduler', opts);
    const manager = spawnReconciler('runReplicationManager', opts);
    children.push(scheduler, manager);
    await Promise.all([scheduler.running, manager.running]);
    const bound = async (replicas: number) => {
      const pods = await cluster.pods('app=web');
      return pods.length === replicas && pods.every((p) => p.spec.nodeName);
    };
    await cluster.store.create(rc('web', 2, { app: 'web' }));
    await eventually(() => bound(2), 20_000, '2 bound pods');

    await cluster.etcd.kill();
    // The outage is the scenario's input (how long etcd stays away), not a wait for a condition.
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    expect([scheduler.child.exitCode, manager.child.exitCode]).toEqual([null, null]);
    await cluster.etcd.restart();
    const answeredAt = Date.now();

    // The test's own client may need a moment to reconnect: the request is retried until accepted.
    await eventually(async () => (await cluster.scale('web', 5), true), 10_000, 'the scale request accepted', 100);
    await eventually(() => bound(5), (TTL + 10) * 1000, '5 bound pods', 100);
    const servedMs = Date.now() - answeredAt;
    console.log(`scale served ${servedMs} ms after etcd answered (TTL ${TTL} s, outage ${OUTAGE_MS} ms)`);
    expect(servedMs).toBeLessThan((TTL + 3) * 1000);
    // The processes never exited: the same ones lead again.
    expect([scheduler.child.exitCode, manager.child.exitCode]).toEqual([null, null]);
    expect((await cluster.pods('app=web')).length).toBe(5);
  });
});
