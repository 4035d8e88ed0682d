// Integration: endpoints follow pods on a real etcd.
import type { Endpoints, Pod } from '@coxswain/objects';
import { NotFoundError } from '@coxswain/objects';
import { runEndpointsController } from './reconcilers';
import type { ReconcilerHandle } from './reconciler-process';
import { eventually } from '@coxswain/testing';
import { TestCluster } from './testing/cluster';
import { pod, service } from './testing/fixtures';

jest.setTimeout(60_000);

describe('endpoints controller (real etcd)', () => {
  let cluster: TestCluster;
  let handle: ReconcilerHandle;

  beforeAll(async () => {
    cluster = await TestCluster.start();
    handle = await runEndpointsController({ etcdServers: cluster.endpoints, leaderElect: false });
    await handle.running;
  });
  afterAll(async () => {
    await handle.stop();
    await cluster.stop();
  });

  const endpoints = () => cluster.store.get<Endpoints>('endpoints', 'default', 'redisslave');
  const addrs = async () => {
    const e = await endpoints();
    return {
      ready: (e.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => `${a.ip}:${s.ports![0].port}`)).sort(),
      notReady: (e.subsets ?? []).flatMap((s) => (s.notReadyAddresses ?? []).map((a) => `${a.ip}:${s.ports![0].port}`)).sort(),
    };
  };
  const same = (a: { ready: string[]; notReady: string[] }, ready: string[], notReady: string[]) =>
    JSON.stringify(a) === JSON.stringify({ ready: [...ready].sort(), notReady: [...notReady].sort() });

  async function runPod(name: string, ip: string, ready: boolean) {
    const p = await cluster.store.create<Pod>(pod(name, { labels: { name: 'redisslave' }, resourceVersion: '', ports: [{ name: 'redis', containerPort: 6379 }] }));
    await cluster.store.bind('default', name, 'm1', p.metadata.resourceVersion!);
    await cluster.store.guaranteedUpdate<Pod>('pods', 'default', name, (cur) => ({
      ...cur,
      status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    }), { subresource: 'status' });
  }

  it('lists Running pods as they come, become ready, and go; removed with the service', async () => {
    // The seed's redisslave service: port 10001 -> containerPort 6379 (here by name).
    await cluster.store.create(service('redisslave', { name: 'redisslave' }, [{ port: 10001, targetPort: 'redis' }]));
    await eventually(async () => same(await addrs(), [], []), 3000, 'empty endpoints');

    const t0 = Date.now();
    await runPod('a', '10.1.0.1', false);
    await eventually(async () => same(await addrs(), [], ['10.1.0.1:6379']), 3000, 'a not ready');
    await cluster.setPodReady('default', 'a', true);
    await eventually(async () => same(await addrs(), ['10.1.0.1:6379'], []), 3000, 'a ready');
    expect(Date.now() - t0).toBeLessThan(3000);

    await runPod('b', '10.1.0.2', true);
    const t1 = Date.now();
    await eventually(async () => same(await addrs(), ['10.1.0.1:6379', '10.1.0.2:6379'], []), 3000, 'a and b');
    expect(Date.now() - t1).toBeLessThan(1000);

    await cluster.store.delete('pods', 'default', 'a');
    await eventually(async () => same(await addrs(), ['10.1.0.2:6379'], []), 3000, 'only b');

    // A pod of another service never shows up.
    await cluster.store.create<Pod>(pod('other', { labels: { name: 'frontend' }, resourceVersion: '' }));

    await cluster.store.delete('services', 'default', 'redisslave');
    await eventually(
      async () => {
        try {
          await endpoints();
          return false;
        } catch (e) {
          return e instanceof NotFoundError;
        }
      },
      3000,
      'endpoints removed',
    );
  });
});
