// Deployments on hollow minions (kubelets over the memory runtime) and a real etcd: the rollout keeps
// its promise about Ready pods at every event a watch delivers, survives SIGKILLs of the deployment
// controller's process, follows the newest template, and stops (with the reason) on a template that cannot start.
import { EtcdHarness, etcdRegistry, eventually, spawnReconciler, startEtcd, type SpawnedReconciler } from '@coxswain/testing';
import type { Registry } from '@coxswain/registry';
import type { Deployment, Pod, ReplicationController, Watch } from '@coxswain/objects';
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

/** Every pod of the namespace a watch has shown, kept after deletion: its image, since when Ready, when it went. */
interface PodHistory {
  image: string;
  readySince?: number;
  goneAt?: number;
}

/** Follows a kind of the namespace from its list and a watch, calling `seen` (with the local time and etcd's revision) at every event. */
async function follow<T extends Pod | Deployment | ReplicationController>(
  resource: 'pods' | 'deployments' | 'replicationControllers',
  seen: (type: string, obj: T, at: number, revision: number) => void,
): Promise<() => Promise<void>> {
  const list = await store.list<T>(resource, { namespace: ns });
  for (const o of list.items) seen('ADDED', o, Date.now(), Number(list.resourceVersion));
  const watch: Watch<T> = store.watch<T>(resource, { namespace: ns, resourceVersion: list.resourceVersion });
  const done = (async () => {
    for await (const e of watch) seen(e.type, e.object, Date.now(), Number(e.revision));
  })().catch(() => undefined);
  return async () => {
    watch.close();
    await done;
  };
}

/** A PodHistory for every pod, from a watch: the Ready condition's transition time, and when its deletion was seen. */
async function followPodHistory(history: Map<string, PodHistory>, onEvent?: () => void): Promise<() => Promise<void>> {
  return follow<Pod>('pods', (type, pod, at) => {
    const h = history.get(pod.metadata.name) ?? { image: pod.spec.containers[0].image };
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
    if (ready?.lastTransitionTime) h.readySince = Date.parse(ready.lastTransitionTime);
    if (type === 'DELETED' && h.goneAt === undefined) h.goneAt = at;
    history.set(pod.metadata.name, h);
    onEvent?.();
  });
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

  it('maxSurge 10%, maxUnavailable 0: never fewer than 100 Ready pods, never more than 110; the controller process SIGKILLed three times on the way', async () => {
    await store.create(deploymentFixture('api', ns, 100, 'api:v1', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '10%' } }));
    await waitDone('api');
    // From here the controller is a leader-elected process of its own, as `coxswain deployments` runs it.
    // SIGKILL leaves its lease in etcd (no resign), so each successor waits out the TTL: a short one.
    await cluster.stopDeploymentController();
    const opts = { etcdServers: etcd.endpoints, leaderElect: true, leaderLeaseTtlSeconds: 2 };
    const processes: SpawnedReconciler[] = [];
    const spawnController = async (): Promise<SpawnedReconciler> => {
      const p = spawnReconciler('runDeploymentController', opts);
      processes.push(p);
      await p.running;
      return p;
    };
    try {
      let leader = await spawnController();
      const sampler = new PodSampler(store, ns);
      await sampler.start();
      await setImage('api', 'api:v2');
      // Kill the leader three times as the rollout moves (at 20, 50 and 80 updated pods); a new process takes over each time.
      for (const at of [20, 50, 80]) {
        await eventually(async () => ((await current('api')).status?.updatedReplicas ?? 0) >= at, 60_000, `${at} updated`);
        expect(rolloutDone(await current('api'))).toBe(false);
        leader.child.kill('SIGKILL');
        expect(await leader.exited).toBeNull(); // killed by the signal, not an exit of its own
        leader = await spawnController();
      }
      await waitDone('api');
      await eventually(() => sampler.pods.size === 100 && images(sampler.pods.values()).size === 1, 10_000, 'the watch caught up');
      await sampler.stop();
      expect(images(sampler.pods.values())).toEqual(new Set(['api:v2']));
      expect(sampler.minReady).toBeGreaterThanOrEqual(100);
      expect(sampler.maxPods).toBeLessThanOrEqual(110);
      expect(sampler.maxPods).toBeGreaterThan(100); // it did surge
      expect(processes).toHaveLength(4);
    } finally {
      for (const p of processes) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
      await cluster.startDeploymentController(); // the in-process one again, for the tests that follow
    }
  }, 240_000);

  it('minReadySeconds 2: availableReplicas counts a pod only after it has been Ready that long, and the rollout waits for it', async () => {
    const minReadyMs = 2000;
    const history = new Map<string, PodHistory>();
    const statuses: { at: number; ready: number; available: number }[] = [];
    const stopPods = await followPodHistory(history);
    const stopDeployments = await follow<Deployment>('deployments', (_type, d, at) => {
      if (d.status) statuses.push({ at, ready: d.status.readyReplicas ?? 0, available: d.status.availableReplicas ?? 0 });
    });
    /** Pods of `image` that had been Ready for minReadySeconds at `at` (by the kubelet's own timestamp of the transition). */
    const availableAt = (at: number, image?: string): number =>
      [...history.values()].filter((h) => (!image || h.image === image) && h.readySince !== undefined && h.readySince + minReadyMs <= at).length;
    try {
      const d0 = deploymentFixture('slow', ns, 6, 'slow:v1', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 2 } });
      d0.spec.minReadySeconds = minReadyMs / 1000;
      await store.create(d0);
      await waitDone('slow');
      // From zero, nothing is deleted: every status the controller wrote (seen here no earlier than it was
      // written) counts no more pods available than had been Ready for 2 s by then.
      for (const s of statuses) expect(s.available).toBeLessThanOrEqual(availableAt(s.at));
      expect(statuses.some((s) => s.ready > s.available)).toBe(true); // Ready but not yet available was seen

      await setImage('slow', 'slow:v2');
      await waitDone('slow');
      await eventually(() => [...history.values()].filter((h) => h.image === 'slow:v1').every((h) => h.goneAt !== undefined), 10_000, 'the watch caught up');
      // maxUnavailable 0: the k-th old pod goes only when k new pods have been Ready for minReadySeconds.
      const gone = [...history.values()].filter((h) => h.image === 'slow:v1').map((h) => h.goneAt!).sort((a, b) => a - b);
      expect(gone).toHaveLength(6);
      gone.forEach((at, i) => expect(availableAt(at, 'slow:v2')).toBeGreaterThanOrEqual(i + 1));
    } finally {
      await stopPods();
      await stopDeployments();
    }
  });

  it('Recreate: no pod of the new revision exists while any pod of the old one does', async () => {
    await store.create(deploymentFixture('rec', ns, 10, 'rec:v1', { type: 'Recreate' }));
    await waitDone('rec');
    const live = new Map<string, string>(); // pod name -> image, until the watch says DELETED
    let mixed = 0;
    const oldGoneAt: number[] = []; // etcd revisions of the old pods' deletions
    let newScaledAt: number | undefined; // etcd revision at which the new RC first asked for pods
    const stopPods = await follow<Pod>('pods', (type, pod, _at, revision) => {
      const image = pod.spec.containers[0].image;
      if (type === 'DELETED') live.delete(pod.metadata.name);
      else live.set(pod.metadata.name, image);
      if (type === 'DELETED' && image === 'rec:v1') oldGoneAt.push(revision);
      if (new Set(live.values()).size > 1) mixed++;
    });
    const stopRcs = await follow<ReplicationController>('replicationControllers', (_type, rc, _at, revision) => {
      if (rc.spec.template.spec.containers[0].image === 'rec:v2' && rc.spec.replicas > 0) newScaledAt ??= revision;
    });
    try {
      await setImage('rec', 'rec:v2');
      await waitDone('rec');
      await eventually(() => live.size === 10 && [...live.values()].every((i) => i === 'rec:v2'), 10_000, 'the watch caught up');
    } finally {
      await stopPods();
      await stopRcs();
    }
    expect(mixed).toBe(0);
    // The pod watch alone can miss an overlap the replication manager happens to order well; etcd's
    // history cannot: the new RC was scaled up only after the last old pod was deleted.
    expect(oldGoneAt).toHaveLength(10);
    expect(newScaledAt).toBeGreaterThan(Math.max(...oldGoneAt));
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
