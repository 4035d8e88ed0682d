// The replication manager's creations through the shared GroupCommit (store.createMany), on a real
// etcd: many pods per transaction, controllers sharing transactions, and a failing create still
// tried once per slow-start round, not once per missing pod.
import type { Registry } from '@coxswain/registry';
import { etcdRegistryForSuite } from '@coxswain/testing';
import { EventRecorder } from '@coxswain/client';
import { InvalidError, Pod, ReplicationController, ResourceQuota } from '@coxswain/objects';
import { MapCache } from './object-cache';
import { ReplicationManager } from './replication-manager';
import { rc } from './testing/fixtures';

jest.setTimeout(60_000);

const suite = etcdRegistryForSuite({ watchProgressIntervalMs: 0 });
let store: Registry;
beforeAll(() => (store = suite.store));

function setup() {
  const pods = new MapCache<Pod>();
  const controllers = new MapCache<ReplicationController>();
  const events: { reason: string; name: string }[] = [];
  const record = (o: { metadata: { name: string } }, reason: string) => void events.push({ reason, name: o.metadata.name });
  const recorder = { normal: record, warning: record } as unknown as EventRecorder;
  const rm = new ReplicationManager({ store, pods, controllers, recorder, workers: 1 });
  return { rm, pods, controllers, events };
}

/** The controller as stored in etcd (so status writes succeed), put in the cache as an informer would. */
async function storedRc(controllers: MapCache<ReplicationController>, name: string, replicas: number): Promise<ReplicationController> {
  const { uid: _uid, resourceVersion: _rv, ...metadata } = rc(name, replicas, { app: name }).metadata;
  const created = await store.create<ReplicationController>({ ...rc(name, replicas, { app: name }), metadata, status: undefined });
  controllers.set(created);
  return created;
}

async function podsOf(name: string): Promise<Pod[]> {
  return (await store.list<Pod>('pods', { namespace: 'default', labelSelector: `app=${name}` })).items;
}

describe('ReplicationManager creating through store.createMany', () => {
  it('creates the 200 pods of one controller in far fewer than 200 transactions', async () => {
    const { rm, controllers, events } = setup();
    const web = await storedRc(controllers, 'web', 200);
    await rm.reconcile('default/web');

    const pods = await podsOf('web');
    expect(pods).toHaveLength(200);
    expect(new Set(pods.map((p) => p.metadata.name)).size).toBe(200);
    for (const p of pods) expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicationController', uid: web.metadata.uid });
    expect(rm.stats.created).toBe(200);
    expect(rm.creates.stats.requests).toBe(200);
    // Slow-start rounds of 1, 2, 4, ..., 64 and 73, each sent together, at most 64 pods to a txn: 9.
    expect(rm.creates.stats.batches).toBeLessThanOrEqual(10);
    expect(new Set(pods.map((p) => p.metadata.resourceVersion)).size).toBe(rm.creates.stats.batches);
    expect(events.filter((e) => e.reason === 'SuccessfulCreate')).toHaveLength(200);
    // All 200 are expected: the controller waits for its informer before doing anything more.
    expect(rm.expectations.satisfied('default/web')).toBe(false);
  });

  it('lets the workers of many controllers share transactions', async () => {
    const { rm, controllers } = setup();
    const names = Array.from({ length: 10 }, (_, i) => `shared-${i}`);
    for (const n of names) await storedRc(controllers, n, 20);
    await Promise.all(names.map((n) => rm.reconcile(`default/${n}`)));

    const all = (await Promise.all(names.map(podsOf))).flat();
    expect(all).toHaveLength(200);
    // 10 controllers x 5 rounds (1, 2, 4, 8, 5) would be 50 txns without sharing.
    expect(rm.creates.stats.batches).toBeLessThan(25);
    // Some transaction carried pods of several controllers.
    const controllersByRevision = new Map<string, Set<string>>();
    for (const p of all) {
      const rv = p.metadata.resourceVersion!;
      if (!controllersByRevision.has(rv)) controllersByRevision.set(rv, new Set());
      controllersByRevision.get(rv)!.add(p.metadata.labels!.app);
    }
    expect(Math.max(...[...controllersByRevision.values()].map((s) => s.size))).toBeGreaterThan(1);
  });

  it('tries a create that always fails once, not once per missing pod, and records FailedCreate', async () => {
    const { rm, controllers, events } = setup();
    const bad = rc('bad', 100, { app: 'bad' });
    bad.spec.template.spec.containers[0].image = ''; // invalid pod: every create fails validation
    controllers.set(bad); // not in etcd: its status write finds nothing, which the manager ignores
    await expect(rm.reconcile('default/bad')).rejects.toBeInstanceOf(InvalidError);
    expect(rm.creates.stats.requests).toBe(1);
    expect(events.filter((e) => e.reason === 'FailedCreate')).toHaveLength(1);
    expect(rm.stats.created).toBe(0);
    // None of the 100 will ever be observed: the controller is free to try again.
    expect(rm.expectations.satisfied('default/bad')).toBe(true);
    expect(await podsOf('bad')).toEqual([]);
  });

  it('lets a status write from a stale cached controller go (its newer copy will be reconciled), without an error', async () => {
    const { rm, controllers } = setup();
    const cached = await storedRc(controllers, 'stale', 0);
    // Someone else changes it in etcd; the cache still holds the old copy.
    const newer = await store.update<ReplicationController>({ ...cached, metadata: { ...cached.metadata, labels: { edited: 'yes' } } });
    await expect(rm.reconcile('default/stale')).resolves.toEqual(undefined);
    const stored = await store.get<ReplicationController>('replicationControllers', 'default', 'stale');
    expect(stored.metadata.resourceVersion).toBe(newer.metadata.resourceVersion);
    // Once the cache catches up, the status is written.
    controllers.set(stored);
    await rm.reconcile('default/stale');
    expect((await store.get<ReplicationController>('replicationControllers', 'default', 'stale')).status).toEqual({ replicas: 0, readyReplicas: 0, observedGeneration: 1 });
  });

  it("over a quota: the controller's status carries ReplicaFailure (FailedCreate, the quota's refusal) until a sync creates what it needs", async () => {
    const { rm, controllers, pods } = setup();
    const ns = 'limited';
    await store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } as never);
    await store.create<ResourceQuota>({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'three', namespace: ns }, spec: { hard: { pods: '3' } } } as ResourceQuota);
    const { uid: _uid, resourceVersion: _rv, ...metadata } = rc('capped', 5, { app: 'capped' }).metadata;
    let capped = await store.create<ReplicationController>({ ...rc('capped', 5, { app: 'capped' }), metadata: { ...metadata, namespace: ns }, status: undefined });
    controllers.set(capped);
    const stored = () => store.get<ReplicationController>('replicationControllers', ns, 'capped');

    expect(await rm.reconcile(`${ns}/capped`)).toEqual({ requeueAfterMs: 10_000 });
    expect((await store.list<Pod>('pods', { namespace: ns })).items).toHaveLength(3);
    capped = await stored();
    expect(capped.status?.conditions).toEqual([
      { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: expect.stringMatching(/^pods "capped-\w+" is forbidden: exceeded quota: three, requested: pods=1, used: pods=3, limited: pods=3$/), lastTransitionTime: expect.any(String) },
    ]);
    const since = capped.status!.conditions![0].lastTransitionTime;

    // Refused again once the cache shows the three: the condition stays, its transition time too.
    for (const p of (await store.list<Pod>('pods', { namespace: ns })).items) {
      pods.set(p);
      rm.podHandlers.onAdd!(p);
    }
    controllers.set(capped);
    expect(await rm.reconcile(`${ns}/capped`)).toEqual({ requeueAfterMs: 10_000 });
    capped = await stored();
    expect(capped.status?.conditions?.map((c) => [c.type, c.status, c.lastTransitionTime])).toEqual([['ReplicaFailure', 'True', since]]);

    // Room for five: the next sync creates the other two and the condition goes.
    await store.update<ResourceQuota>({ ...(await store.get<ResourceQuota>('resourcequotas', ns, 'three')), spec: { hard: { pods: '5' } } });
    controllers.set(capped);
    expect(await rm.reconcile(`${ns}/capped`)).toBeUndefined();
    expect((await store.list<Pod>('pods', { namespace: ns })).items).toHaveLength(5);
    expect((await stored()).status?.conditions).toBeUndefined();
  });
});
