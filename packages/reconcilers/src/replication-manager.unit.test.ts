// The ReplicationManager's cost on in-memory caches (the etcd side is covered by
// replication-manager.test.ts): with 1,000 controllers of 5 pods in one namespace, a reconcile reads
// its own pods (and orphans sharing a selector label), never the namespace, and a pod event
// enqueues only the controllers it concerns.
import { EventRecorder } from '@coxswain/client';
import { ObjectStore, Pod, ReplicationController } from '@coxswain/objects';
import { CacheReader, MapCache } from './object-cache';
import { isPodReady } from './replication-plan';
import { ReplicationManager } from './replication-manager';
import { pod, rc } from './testing/fixtures';

const N_RC = 1000;
const PER_RC = 5;

/** A CacheReader that counts the objects each lookup hands out. */
class CountingCache<T extends Pod | ReplicationController> implements CacheReader<T> {
  read = 0;
  constructor(readonly inner: MapCache<T>) {}
  get(key: string) {
    const o = this.inner.get(key);
    if (o) this.read++;
    return o;
  }
  list() {
    const all = this.inner.list();
    this.read += all.length;
    return all;
  }
  byIndex(name: string, value: string) {
    const found = this.inner.byIndex(name, value);
    this.read += found.length;
    return found;
  }
}

function setup() {
  const podCache = new MapCache<Pod>();
  const rcCache = new MapCache<ReplicationController>();
  for (let i = 0; i < N_RC; i++) {
    // Every controller shares `tier=web`, as real ones share an app label: only `name` tells them apart.
    const c = rc(`rc-${i}`, PER_RC, { tier: 'web', name: `rc-${i}` });
    const owned = Array.from({ length: PER_RC }, (_, j) =>
      pod(`rc-${i}-${j}`, { labels: { tier: 'web', name: `rc-${i}` }, owner: { name: c.metadata.name, uid: c.metadata.uid! }, nodeName: 'm1', ready: true }),
    );
    owned.forEach((p) => podCache.set(p));
    rcCache.set({ ...c, status: { replicas: PER_RC, readyReplicas: owned.filter(isPodReady).length, observedGeneration: 1 } });
  }
  const writes: string[] = [];
  const store = {
    get: async (_r: string, ns: string, name: string) => rcCache.get(`${ns}/${name}`),
    update: async (p: Pod) => {
      writes.push(`update ${p.metadata.name} owners=${(p.metadata.ownerReferences ?? []).map((r) => r.name).join(',')}`);
      return p;
    },
    createMany: async (ps: Pod[]) =>
      ps.map((p) => {
        writes.push(`create ${p.metadata.generateName}`);
        return p;
      }),
    delete: async (_r: string, _ns: string, name: string) => {
      writes.push(`delete ${name}`);
    },
    updateStatus: async (o: ReplicationController) => {
      writes.push(`status ${o.metadata.name} ${o.status?.replicas}`);
      return o;
    },
  } as unknown as ObjectStore;
  const recorder = { normal: () => undefined, warning: () => undefined } as unknown as EventRecorder;
  const pods = new CountingCache(podCache);
  const controllers = new CountingCache(rcCache);
  const rm = new ReplicationManager({ store, pods, controllers, recorder, workers: 1 });
  const enqueued: string[] = [];
  jest.spyOn(rm.controller, 'enqueue').mockImplementation((k) => void enqueued.push(k));
  return { rm, pods, podCache, controllers, rcCache, writes, enqueued };
}

describe('ReplicationManager with 1,000 controllers x 5 pods in one namespace', () => {
  it('reconciles a converged controller reading only its own 5 pods, and all 1,000 reading 5,000', async () => {
    const { rm, pods, writes } = setup();
    await rm.reconcile('default/rc-500');
    expect(pods.read).toBe(PER_RC * 2); // its pods by owner uid, and again by owner name (stale-owner check)
    expect(writes).toEqual([]);

    pods.read = 0;
    const t0 = performance.now();
    for (let i = 0; i < N_RC; i++) await rm.reconcile(`default/rc-${i}`);
    const ms = performance.now() - t0;
    expect(pods.read).toBe(N_RC * PER_RC * 2); // a namespace scan would be 1,000 x 5,000
    expect(writes).toEqual([]);
    // Generous for a slow CI machine; scanning the namespace each time took seconds.
    expect(ms).toBeLessThan(1000);
  });

  it('adopts a matching orphan, reading only its own pods and that orphan', async () => {
    const { rm, pods, podCache, rcCache, writes } = setup();
    const c = rcCache.get('default/rc-7')!;
    rcCache.set({ ...c, spec: { ...c.spec, replicas: PER_RC + 1 } });
    podCache.set(pod('stray', { labels: { tier: 'web', name: 'rc-7' }, nodeName: 'm1' }));
    // An orphan of another controller shares `tier=web` but not `name`: not a candidate worth reading.
    podCache.set(pod('other', { labels: { tier: 'web', name: 'rc-8' }, nodeName: 'm1' }));
    pods.read = 0;
    await rm.reconcile('default/rc-7');
    expect(writes).toEqual(['update stray owners=rc-7', 'status rc-7 6']);
    // Its own pods twice, then the orphans under each selector pair (tier=web: 2, name=rc-7: 1).
    expect(pods.read).toBe(PER_RC * 2 + 3);
  });

  it('releases an owned pod whose labels stopped matching', async () => {
    const { rm, podCache, writes } = setup();
    const p = podCache.get('default/rc-3-0')!;
    podCache.set({ ...p, metadata: { ...p.metadata, labels: { tier: 'web', name: 'debug' } } });
    await rm.reconcile('default/rc-3');
    expect(writes).toEqual(['update rc-3-0 owners=', 'create rc-3-', 'status rc-3 4']);
  });

  it('enqueues the owner for an owned pod, and only the matching controller for an orphan', () => {
    const { rm, podCache, controllers, enqueued } = setup();
    const owned = podCache.get('default/rc-42-1')!;
    rm.podHandlers.onUpdate!(owned, { ...owned, status: { phase: 'Failed' } });
    expect(enqueued).toEqual(['default/rc-42']);

    enqueued.length = 0;
    controllers.read = 0;
    rm.podHandlers.onAdd!(pod('stray', { labels: { name: 'rc-99', tier: 'web' } }));
    expect(enqueued).toEqual(['default/rc-99']);
    // Controllers are filed under their selector's first key (`name`): one is read, not 1,000.
    expect(controllers.read).toBe(1);

    enqueued.length = 0;
    rm.podHandlers.onAdd!(pod('loner', { labels: { name: 'rc-99' } }));
    rm.podHandlers.onAdd!(pod('elsewhere', { labels: { name: 'rc-99', tier: 'web' }, namespace: 'other' }));
    expect(enqueued).toEqual([]);
  });
});
