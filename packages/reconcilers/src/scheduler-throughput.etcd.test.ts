// Throughput of the scheduler in isolation on a real etcd: pods are created first (not timed), then
// the scheduler starts and binds them all, each exactly once. The rate is printed for information;
// the speed goal (>= 1,000 pods/s) is measured by `npm run bench -- scale`, not asserted here.
import type { Registry } from '@coxswain/registry';
import { etcdRegistry, eventually } from '@coxswain/testing';
import { Pod } from '@coxswain/objects';
import { prefixRangeEnd } from '@coxswain/store';
import { runScheduler } from './reconcilers';
import { TestCluster } from './testing/cluster';
import { pod } from './testing/fixtures';

jest.setTimeout(120_000);

const N = Number(process.env.SCHEDULER_BENCH_PODS ?? 1000);

describe('scheduler throughput (real etcd)', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start();
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it(`binds ${N} pending pods on 50 minions`, async () => {
    for (let i = 0; i < 50; i++) await cluster.addMinion(`m${i}`, { cpu: '64', memory: '256Gi' });
    const store: Registry = cluster.store;
    for (let i = 0; i < N; i += 200) {
      await Promise.all(Array.from({ length: Math.min(200, N - i) }, (_, j) => store.create<Pod>(pod(`p${i + j}`, { cpu: '10m', memory: '10Mi', resourceVersion: '' }))));
    }
    const handle = await runScheduler({ etcdServers: cluster.endpoints, leaderElect: false, workers: Number(process.env.SCHEDULER_WORKERS ?? 32) });
    try {
      await handle.running;
      const t0 = Date.now();
      let count = 0;
      // Count the bound-pod keys (cheap: count_only), not by listing and decoding every pod.
      const client = cluster.etcd.client();
      const prefix = Buffer.from('/registry/boundpods/');
      await eventually(async () => {
        const res = await client.kv.range({ key: prefix, range_end: prefixRangeEnd(prefix), count_only: true });
        count = Number(res.count);
        return count === N;
      }, 100_000, `${N} bound`);
      const secs = (Date.now() - t0) / 1000;
      const rate = N / secs;
      console.log(`scheduler bound ${N} pods in ${secs.toFixed(2)} s: ${rate.toFixed(0)} pods/s`);
      const { items } = await store.list<Pod>('pods');
      expect(items.filter((p) => !p.spec.nodeName).map((p) => p.metadata.name)).toEqual([]);
    } finally {
      await handle.stop();
    }
  });
});
