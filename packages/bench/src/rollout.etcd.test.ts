// Deployments on hollow minions (kubelets over the memory runtime) and a real etcd: the rollout keeps
// its promise about Ready pods at every event a watch delivers, survives restarts of the deployment
// controller, follows the newest template, and stops (with the reason) on a template that cannot start.
import { EtcdHarness, etcdRegistry, eventually, startEtcd } from '@coxswain/testing';
import type { Registry } from '@coxswain/registry';
import type { Deployment, Pod } from '@coxswain/objects';
import { deploymentFixture, PodSampler, rcsOf, RolloutCluster, rolloutDone } from './rollout-cluster';

jest.setTimeout(120_000);

let etcd: EtcdHarness;
let store: Registry;
let cluster: RolloutCluster;
let n = 0;
let ns: string;

beforeAll(async () => {
  etcd = await startEtcd();
  store = etcdRegistry(etcd.client());
  cluster = new RolloutCluster(store, etcd.endpoints);
  // A start takes a little while, so a rollout has pods that are not Ready yet to count.
  await cluster.start(10, 'hollow', { startLatencyMs: 30, pullFails: (image) => (image.includes('missing') ? `image "${image}" not found` : undefined) });
});
afterAll(async () => {
  await cluster?.stop();
  await store?.close();
  await etcd?.stop();
});
beforeEach(() => {
  ns = `ro${++n}`;
});

async function current(name: string): Promise<Deployment> {
  return store.get<Deployment>('deployments', ns, name);
}

async function waitDone(name: string, timeoutMs = 60_000): Promise<Deployment> {
  return eventually(async () => {
    const d = await current(name);
    if (!rolloutDone(d)) throw new Error(`not done: ${JSON.stringify(d.status)}`);
    return d;
  }, timeoutMs, `rollout of ${name}`);
}

async function setImage(name: string, image: string): Promise<void> {
  await store.guaranteedUpdate<Deployment>('deployments', ns, name, (d) => {
    d.spec.template.spec.containers[0].image = image;
    return d;
  });
}

function images(pods: Iterable<Pod>): Set<string> {
  return new Set([...pods].map((p) => p.spec.containers[0].image));
}

describe('Deployment rollouts on hollow minions', () => {
  it('100 replicas, maxUnavailable 2, maxSurge 0: never fewer than 98 Ready pods, never more than 100', async () => {
    await store.create(deploymentFixture('web', ns, 100, 'web:v1', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2, maxSurge: 0 } }));
    await waitDone('web');
    const sampler = new PodSampler(store, ns);
    await sampler.start();
    await setImage('web', 'web:v2');
    await eventually(async () => (await current('web')).metadata.generation === 2, 5000, 'the edit');
    await waitDone('web');
    await eventually(() => sampler.pods.size === 100 && sampler.ready() === 100 && images(sampler.pods.values()).size === 1, 10_000, 'the watch caught up');
    await sampler.stop();
    expect(images(sampler.pods.values())).toEqual(new Set(['web:v2']));
    expect(sampler.events).toBeGreaterThan(300); // 100 creates, their status writes, 100 deletes at least
    expect(sampler.minReady).toBeGreaterThanOrEqual(98);
    expect(sampler.maxPods).toBeLessThanOrEqual(100);
    const rcs = await rcsOf(store, ns);
    expect(rcs.map((rc) => [rc.metadata.annotations?.['deployment.kubernetes.io/revision'], rc.spec.replicas]).sort()).toEqual([['1', 0], ['2', 100]]);
  });

  it('maxSurge 10%, maxUnavailable 0: never fewer than 100 Ready pods, never more than 110; three controller restarts on the way', async () => {
    await store.create(deploymentFixture('api', ns, 100, 'api:v1', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '10%' } }));
    await waitDone('api');
    const sampler = new PodSampler(store, ns);
    await sampler.start();
    await setImage('api', 'api:v2');
    // Kill the controller three times as the rollout moves: at 20, 50 and 80 updated pods.
    for (const at of [20, 50, 80]) {
      await eventually(async () => ((await current('api')).status?.updatedReplicas ?? 0) >= at, 60_000, `${at} updated`);
      await cluster.stopDeploymentController();
      await cluster.startDeploymentController();
    }
    await waitDone('api');
    await eventually(() => sampler.pods.size === 100 && images(sampler.pods.values()).size === 1, 10_000, 'the watch caught up');
    await sampler.stop();
    expect(images(sampler.pods.values())).toEqual(new Set(['api:v2']));
    expect(sampler.minReady).toBeGreaterThanOrEqual(100);
    expect(sampler.maxPods).toBeLessThanOrEqual(110);
    expect(sampler.maxPods).toBeGreaterThan(100); // it did surge
  });

  it('two template edits in quick succession: ends on the newest, the middle revision scaled away', async () => {
    await store.create(deploymentFixture('two', ns, 20, 'two:v1', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2, maxSurge: 2 } }));
    await waitDone('two');
    await setImage('two', 'two:v2');
    await eventually(async () => ((await current('two')).status?.updatedReplicas ?? 0) > 0, 10_000, 'v2 started');
    await setImage('two', 'two:v3');
    const d = await waitDone('two');
    expect(d.metadata.generation).toBe(3);
    const pods = (await store.list<Pod>('pods', { namespace: ns })).items;
    expect(images(pods)).toEqual(new Set(['two:v3']));
    const rcs = await rcsOf(store, ns);
    const byRevision = Object.fromEntries(rcs.map((rc) => [rc.metadata.annotations?.['deployment.kubernetes.io/revision'], rc]));
    expect(byRevision['2'].spec.template.spec.containers[0].image).toBe('two:v2');
    expect(byRevision['2'].spec.replicas).toBe(0);
    expect(byRevision['3'].spec.replicas).toBe(20);
  });

  it('an image that cannot start: at most maxUnavailable unavailable, Progressing=False ProgressDeadlineExceeded with the reason; undo returns to the last good revision', async () => {
    const d0 = deploymentFixture('bad', ns, 10, 'bad:v1', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2, maxSurge: 0 } });
    d0.spec.progressDeadlineSeconds = 2;
    await store.create(d0);
    await waitDone('bad');
    const sampler = new PodSampler(store, ns);
    await sampler.start();
    await setImage('bad', 'bad:missing');
    const stuck = await eventually(async () => {
      const d = await current('bad');
      const p = d.status?.conditions?.find((c) => c.type === 'Progressing');
      if (p?.reason !== 'ProgressDeadlineExceeded') throw new Error(`Progressing: ${JSON.stringify(p)}`);
      return { d, p };
    }, 20_000, 'ProgressDeadlineExceeded');
    expect(stuck.p.status).toBe('False');
    expect(stuck.p.message).toContain('not found');
    expect(stuck.d.status?.unavailableReplicas).toBeLessThanOrEqual(2);
    expect(sampler.minReady).toBeGreaterThanOrEqual(8);

    // Undo, as `kubecfg rollout undo` does it: the previous revision's template back into the spec.
    const rcs = await rcsOf(store, ns);
    const good = rcs.find((rc) => rc.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1')!;
    await store.guaranteedUpdate<Deployment>('deployments', ns, 'bad', (d) => {
      const labels = { ...good.spec.template.metadata?.labels };
      delete labels['pod-template-hash'];
      d.spec.template = { ...good.spec.template, metadata: { ...good.spec.template.metadata, labels } };
      return d;
    });
    await waitDone('bad');
    await eventually(() => sampler.pods.size === 10 && sampler.ready() === 10 && images(sampler.pods.values()).size === 1, 10_000, 'the watch caught up');
    await sampler.stop();
    expect(images(sampler.pods.values())).toEqual(new Set(['bad:v1']));
    expect(sampler.minReady).toBeGreaterThanOrEqual(8);
    const after = await rcsOf(store, ns);
    // The good RC is the newest revision again (3); the bad one is kept as history at 0.
    expect(after.find((rc) => rc.metadata.name === good.metadata.name)?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  });
});
