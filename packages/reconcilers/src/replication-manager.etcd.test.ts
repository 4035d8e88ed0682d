// Integration: scheduler + replication manager on a real etcd, minions and kubelets simulated.
import type { Pod } from '@coxswain/objects';
import { runReplicationManager, runScheduler } from './reconcilers';
import type { ReconcilerHandle } from './reconciler-process';
import { rc } from './testing/fixtures';
import { eventually } from '@coxswain/testing';
import { TestCluster } from './testing/cluster';

jest.setTimeout(60_000);

const running = (pods: Pod[]) => pods.filter((p) => p.status?.phase === 'Running');

describe('replication manager (real etcd)', () => {
  let cluster: TestCluster;
  let handles: ReconcilerHandle[] = [];

  beforeEach(async () => {
    cluster = await TestCluster.start();
    for (const m of ['m1', 'm2', 'm3']) await cluster.addMinion(m);
    cluster.startKubelets();
  });
  afterEach(async () => {
    await Promise.all(handles.map((h) => h.stop()));
    handles = [];
    await cluster.stop();
  });

  async function start(leaderElect = false) {
    const s = await runScheduler({ etcdServers: cluster.endpoints, leaderElect });
    const r = await runReplicationManager({ etcdServers: cluster.endpoints, leaderElect });
    handles.push(s, r);
    await Promise.all([s.running, r.running]);
  }

  async function expectRunning(n: number, selector = 'app=web') {
    const pods = await eventually(async () => {
      const ps = await cluster.pods(selector);
      return ps.length === n && running(ps).length === n ? ps : undefined;
    }, 15_000, `${n} running pods`);
    return pods;
  }

  it('converges 0 -> 4 -> 1 -> 3 by editing replicas; deleting 2 pods brings 2 back; status follows', async () => {
    await start();
    await cluster.store.create(rc('web', 0, { app: 'web' }));
    await eventually(async () => (await cluster.rc('web')).status?.observedGeneration === 1, 5000, 'observedGeneration 1');

    await cluster.scale('web', 4);
    const four = await expectRunning(4);
    for (const p of four) {
      expect(p.metadata.generateName).toBe('web-');
      expect(p.metadata.labels).toEqual({ app: 'web', replicationController: 'web' });
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicationController', name: 'web', controller: true });
      expect(p.spec.nodeName).toMatch(/^m[123]$/);
    }
    await eventually(async () => {
      const s = (await cluster.rc('web')).status;
      return s?.replicas === 4 && s.readyReplicas === 4 && s.observedGeneration === 2;
    }, 5000, 'status 4/4 gen 2');

    await cluster.scale('web', 1);
    await expectRunning(1);
    await cluster.scale('web', 3);
    const three = await expectRunning(3);
    await eventually(async () => (await cluster.rc('web')).status?.observedGeneration === 4 && (await cluster.rc('web')).status?.replicas === 3, 5000, 'status 3');

    // Delete two pods: two new ones replace them.
    for (const p of three.slice(0, 2)) await cluster.store.delete('pods', 'default', p.metadata.name);
    const after = await expectRunning(3);
    const names = new Set(after.map((p) => p.metadata.name));
    expect(names.has(three[2].metadata.name)).toBe(true);
    expect(names.has(three[0].metadata.name)).toBe(false);

    // Never overshot: SuccessfulCreate events count 4 + 2 + 2 creations.
    await eventually(async () => {
      const creates = await cluster.events('SuccessfulCreate');
      return creates.reduce((n, e) => n + e.count, 0) === 8;
    }, 5000, '8 creations recorded');
  });

  it('adopts a matching orphan, releases a relabelled pod, and deletes its pods when deleted', async () => {
    await start();
    const orphan = await cluster.store.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'orphan', namespace: 'default', labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    await cluster.store.create(rc('web', 2, { app: 'web' }));
    const pods = await expectRunning(2);
    const adopted = pods.find((p) => p.metadata.name === orphan.metadata.name)!;
    expect(adopted.metadata.ownerReferences?.[0]?.name).toBe('web');

    // Relabel one: it is released and replaced.
    await cluster.store.guaranteedUpdate<Pod>('pods', 'default', 'orphan', (p) => ({ ...p, metadata: { ...p.metadata, labels: { app: 'debug' } } }));
    await expectRunning(2);
    await eventually(async () => {
      const p = await cluster.store.get<Pod>('pods', 'default', 'orphan');
      return !p.metadata.ownerReferences?.length;
    }, 5000, 'orphan released');

    await cluster.store.delete('replicationControllers', 'default', 'web');
    await eventually(async () => (await cluster.pods('app=web')).length === 0, 5000, 'pods of the deleted RC gone');
    // The released pod is no longer the controller's to delete.
    expect((await cluster.pods('app=debug')).length).toBe(1);
  });
});
