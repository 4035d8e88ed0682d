// The registry's rules on MemoryStorage (no etcd): what every writer gets, whoever it is. The same
// registry runs on etcd in registry.etcd.test.ts; the storage contract both storages keep is
// store's testing/storage-contract.ts.
import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError, type Event, type Minion, type Pod, type ReplicationController } from '@coxswain/objects';
import { FakeClock, memoryRegistry } from '@coxswain/testing';
import type { Registry } from './registry';

const pod = (name: string, extra: Partial<Pod['spec']> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'web' } },
  spec: { containers: [{ name: 'main', image: 'busybox' }], ...extra },
});

let clock: FakeClock;
let r: Registry;
beforeEach(() => {
  clock = new FakeClock(Date.parse('2026-12-04T12:00:00Z'));
  r = memoryRegistry({ clock, uid: (() => { let n = 0; return () => `uid-${++n}`; })() });
});
afterEach(() => r.close());

describe('create', () => {
  it('sets system metadata and the initial status, whatever the writer sent', async () => {
    const p = await r.create({ ...pod('a'), metadata: { ...pod('a').metadata, uid: 'forged', generation: 7, resourceVersion: '99' }, status: { phase: 'Running' } });
    expect(p.metadata).toMatchObject({ uid: 'uid-1', generation: 1, creationTimestamp: '2026-12-04T12:00:00Z', namespace: 'default' });
    expect(p.status).toEqual({ phase: 'Pending' });
    const rc = await r.create<ReplicationController>({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' }, spec: { replicas: 2, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: pod('t').spec } } });
    expect(rc.status).toEqual({ replicas: 0 });
    expect(rc.metadata.namespace).toBe('default');
    const m = await r.create<Minion>({ apiVersion: 'v1', kind: 'Minion', metadata: { name: 'm1', namespace: 'x' }, status: { kubeletEndpoint: 'http://127.0.1.1:10250' } });
    expect(m.metadata.namespace).toBeUndefined();
    expect(m.status).toEqual({ kubeletEndpoint: 'http://127.0.1.1:10250' });
  });

  it('draws a name from generateName again when one is taken', async () => {
    let calls = 0;
    const rr = memoryRegistry({ random: () => (calls++ < 10 ? 0 : 1 / 36) });
    const a = await rr.create({ ...pod(''), metadata: { name: '', generateName: 'web-', namespace: 'default' } });
    const b = await rr.create({ ...pod(''), metadata: { name: '', generateName: 'web-', namespace: 'default' } });
    expect(a.metadata.name).toBe('web-aaaaa');
    expect(b.metadata.name).not.toBe('web-aaaaa');
    expect(b.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    await rr.close();
  });

  it('refuses what is invalid, naming the field, and a taken name', async () => {
    const err = await r.create({ ...pod('bad'), spec: { containers: [] } }).catch((e: InvalidError) => e);
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).causes[0].field).toMatch(/^spec\.containers/);
    await r.create(pod('taken'));
    await expect(r.create(pod('taken'))).rejects.toThrow(AlreadyExistsError);
  });

  it('a pod created with nodeName is created bound: its minion\'s kubelet lists it', async () => {
    await r.create(pod('pinned', { nodeName: 'm1' }));
    expect((await r.listBoundPods('m1')).items.map((p) => p.metadata.name)).toEqual(['pinned']);
  });

  it('events expire with their TTL (a lease on the storage\'s clock)', async () => {
    const ev: Event = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'a', namespace: 'default' }, type: 'Normal', reason: 'Started', message: 'x', count: 1, firstTimestamp: '2026-12-04T12:00:00Z', lastTimestamp: '2026-12-04T12:00:00Z' } as Event;
    const rr = memoryRegistry({ clock });
    await rr.create(ev);
    await clock.advance(3_599_000);
    await expect(rr.get('events', 'default', 'e1')).resolves.toMatchObject({ reason: 'Started' });
    await clock.advance(1_000);
    await expect(rr.get('events', 'default', 'e1')).rejects.toThrow(NotFoundError);
    await rr.close();
  });
});

describe('update', () => {
  it('keeps the stored status and identity; generation moves with the spec only', async () => {
    const a = await r.create(pod('u'));
    const labelled = await r.update({ ...a, metadata: { ...a.metadata, labels: { app: 'web', tier: 'x' }, uid: 'forged' }, status: { phase: 'Failed' } });
    expect(labelled).toMatchObject({ metadata: { uid: a.metadata.uid, generation: 1 }, status: { phase: 'Pending' } });
    const changed = await r.update({ ...labelled, spec: { ...labelled.spec, restartPolicy: 'Never' } });
    expect(changed.metadata.generation).toBe(2);
  });

  it('with a stale resourceVersion: ConflictError naming both versions; without one: applied to the current object', async () => {
    const a = await r.create(pod('s'));
    const b = await r.update({ ...a, metadata: { ...a.metadata, labels: { v: '2' } } });
    await expect(r.update({ ...a, metadata: { ...a.metadata, labels: { v: '3' } } })).rejects.toThrow(`resourceVersion ${a.metadata.resourceVersion} is stale, current is ${b.metadata.resourceVersion}`);
    const c = await r.update({ ...a, metadata: { ...a.metadata, resourceVersion: undefined, labels: { v: '4' } } });
    expect(c.metadata.labels).toEqual({ v: '4' });
  });

  it('refuses a changed nodeName, naming the field; leaving it out keeps it', async () => {
    const a = await r.create(pod('n'));
    await r.bind('default', 'n', 'm1', a.metadata.resourceVersion!);
    const bound = await r.get<Pod>('pods', 'default', 'n');
    await expect(r.update({ ...bound, spec: { ...bound.spec, nodeName: 'm2' } })).rejects.toThrow('spec.nodeName: may not be changed (bound to "m1")');
    const { nodeName: _n, ...spec } = bound.spec;
    const kept = await r.update<Pod>({ ...bound, spec });
    expect(kept.spec.nodeName).toBe('m1');
  });

  it('a status update changes only the status; guaranteedUpdate writes spec or, with subresource status, status', async () => {
    const a = await r.create(pod('st'));
    const s1 = await r.updateStatus<Pod>({ ...a, spec: { containers: [] }, status: { phase: 'Running' } });
    expect(s1.spec).toEqual(a.spec);
    expect(s1.status).toEqual({ phase: 'Running' });
    const s2 = await r.guaranteedUpdate<Pod>('pods', 'default', 'st', (p) => ({ ...p, status: { phase: 'Failed' } }));
    expect(s2.status).toEqual({ phase: 'Running' });
    const s3 = await r.guaranteedUpdate<Pod>('pods', 'default', 'st', (p) => ({ ...p, status: { phase: 'Succeeded' } }), { subresource: 'status' });
    expect(s3.status).toEqual({ phase: 'Succeeded' });
  });
});

describe('binding', () => {
  it('binds once, in one write with the bound-pod copy (without status); a second bind is a ConflictError', async () => {
    const a = await r.create(pod('b'));
    await r.bind('default', 'b', 'm1', a.metadata.resourceVersion!);
    const bound = (await r.listBoundPods('m1')).items;
    expect(bound.map((p) => [p.metadata.name, p.spec.nodeName, p.status])).toEqual([['b', 'm1', undefined]]);
    const now = await r.get<Pod>('pods', 'default', 'b');
    expect(now.metadata.generation).toBe(1);
    await expect(r.bind('default', 'b', 'm2', now.metadata.resourceVersion!, now)).rejects.toThrow('pod is already bound to minion "m1"');
  });

  it('bindMany answers each binding exactly: bound, changed since, gone', async () => {
    const [p1, p2, p3] = await Promise.all(['x1', 'x2', 'x3'].map((n) => r.create(pod(n))));
    await r.update({ ...p2, metadata: { ...p2.metadata, labels: { moved: 'on' } } });
    await r.delete('pods', 'default', 'x3');
    const answers = await r.bindMany([p1, p2, p3].map((p) => ({ namespace: 'default', podName: p.metadata.name, minion: 'm1', pod: p })));
    expect(answers[0]).toBeUndefined();
    expect(answers[1]).toBeInstanceOf(ConflictError);
    expect(answers[2]).toBeInstanceOf(NotFoundError);
    expect((await r.listBoundPods('m1')).items.map((p) => p.metadata.name)).toEqual(['x1']);
  });

  it('a deleted pod leaves its minion', async () => {
    const a = await r.create(pod('gone', { nodeName: 'm1' }));
    await r.delete('pods', 'default', a.metadata.name);
    expect((await r.listBoundPods('m1')).items).toEqual([]);
  });
});
