import { etcdRegistry, etcdRegistryForSuite, eventually, FakeClock } from '@coxswain/testing';
import { EventRecorder, eventName } from './event-recorder';
import type { Event, Pod } from '@coxswain/objects';

jest.setTimeout(30_000);

describe('EventRecorder (real etcd)', () => {
  const suite = etcdRegistryForSuite();

  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', uid: 'u1', resourceVersion: '42' },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  };

  it('counts repeats of the same event instead of duplicating, and keeps distinct ones apart', async () => {
    const rec = new EventRecorder({ store: suite.store, component: 'scheduler', ttlSeconds: 60 });
    for (let i = 0; i < 5; i++) rec.warning(pod, 'FailedScheduling', '0/3 minions fit: 3 host port 6380 in use');
    rec.normal({ ...pod, metadata: { ...pod.metadata, resourceVersion: '43' } }, 'Scheduled', 'Successfully assigned default/web-1 to m1');
    await rec.flush();
    // A second recorder (another process, or a restart) continues the same count.
    const rec2 = new EventRecorder({ store: suite.store, component: 'scheduler', ttlSeconds: 60 });
    rec2.warning(pod, 'FailedScheduling', '0/3 minions fit: 3 host port 6380 in use');
    await rec2.flush();

    const events = (await suite.store.list<Event>('events')).items;
    expect(events).toHaveLength(2);
    const failed = events.find((e) => e.reason === 'FailedScheduling')!;
    expect(failed.count).toBe(6);
    expect(failed.type).toBe('Warning');
    expect(failed.involvedObject).toEqual({ kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1', resourceVersion: '42' });
    expect(failed.source).toMatchObject({ component: 'scheduler' });
    expect(failed.lastTimestamp >= failed.firstTimestamp).toBe(true);
    const scheduled = events.find((e) => e.reason === 'Scheduled')!;
    expect(scheduled.count).toBe(1);
    expect(scheduled.involvedObject.resourceVersion).toBe('43');
    expect(failed.metadata.name).toBe(eventName(failed.involvedObject, failed.reason, failed.message, 'scheduler'));
  });

  it('attaches events to a lease so they expire, also after a count bump', async () => {
    const rec = new EventRecorder({ store: suite.store, component: 'kubelet', ttlSeconds: 2 });
    rec.normal(pod, 'Pulled', 'image pulled');
    await rec.flush();
    rec.normal(pod, 'Pulled', 'image pulled');
    await rec.flush();
    const key = `/registry/events/default/${eventName({ kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1' }, 'Pulled', 'image pulled', 'kubelet')}`;
    const res = await suite.client.kv.range({ key: Buffer.from(key) });
    expect(res.kvs).toHaveLength(1);
    expect(res.kvs[0].lease).not.toBe('0');
    const ttl = await suite.client.leaseClient.leaseTimeToLive({ ID: res.kvs[0].lease, keys: false });
    expect(Number(ttl.TTL)).toBeGreaterThan(0);
    expect(Number(ttl.TTL)).toBeLessThanOrEqual(2 + 60);
  });

  it('never throws at the caller when etcd is unreachable', async () => {
    const dead = etcdRegistry(suite.etcd.client());
    await dead.close();
    const rec = new EventRecorder({ store: dead, component: 'x' });
    expect(() => rec.normal(pod, 'R', 'm')).not.toThrow();
    await expect(rec.flush()).resolves.toBeUndefined();
  });

  it('writes the new events of every recorder on one store several to a transaction', async () => {
    const kubelets = [0, 1, 2, 3].map((i) => new EventRecorder({ store: suite.store, component: 'kubelet', host: `m${i}`, ttlSeconds: 60 }));
    const before = BigInt(await suite.store.currentRevision());
    for (let p = 0; p < 50; p++) {
      // A namespace of its own: the other tests list every event.
      const involved = { ...pod, metadata: { ...pod.metadata, namespace: 'batch', name: `batch-${p}`, uid: `ub${p}` } };
      kubelets[p % 4].normal(involved, 'Created', 'Created container c');
      kubelets[p % 4].normal(involved, 'Started', 'Started container c');
    }
    await Promise.all(kubelets.map((k) => k.flush()));
    const written = (await suite.store.list<Event>('events', { namespace: 'batch' })).items;
    expect(written).toHaveLength(100);
    // One revision per transaction: 100 events in far fewer than 100.
    const txns = BigInt(await suite.store.currentRevision()) - before;
    expect(txns).toBeLessThan(10n);
  });

  // A namespace per test below: the first test lists every event.
  const inNamespace = (namespace: string, name = 'flood'): Pod => ({ ...pod, metadata: { ...pod.metadata, namespace, name, uid: `u-${namespace}-${name}` } });

  it('coalesces a burst of 1,000 identical events into one Event with count 1,000, in a handful of writes', async () => {
    const rec = new EventRecorder({ store: suite.store, component: 'kubelet', host: 'm1', ttlSeconds: 60 });
    const crashing = inNamespace('burst');
    const before = BigInt(await suite.store.currentRevision());
    for (let i = 0; i < 1000; i++) rec.warning(crashing, 'BackOff', 'Back-off restarting failed container c');
    await rec.flush();
    const events = (await suite.store.list<Event>('events', { namespace: 'burst' })).items;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: 'BackOff', count: 1000, involvedObject: { name: 'flood' } });
    // One create and one bump carrying the other 999 (the repeats arrived while the create was queued).
    expect(BigInt(await suite.store.currentRevision()) - before).toBeLessThanOrEqual(3n);
  });

  it('combines similar events past 10 distinct messages into one, counting every occurrence', async () => {
    const rec = new EventRecorder({ store: suite.store, component: 'replication-manager', ttlSeconds: 60 });
    const rc = { kind: 'ReplicationController', name: 'web', namespace: 'similar', uid: 'rc-web' };
    for (let i = 0; i < 50; i++) rec.normal(rc, 'SuccessfulCreate', `Created pod: web-${i}`);
    await rec.flush();
    const events = (await suite.store.list<Event>('events', { namespace: 'similar' })).items;
    expect(events).toHaveLength(11);
    const combined = events.filter((e) => e.message.startsWith('(combined from similar events): '));
    expect(combined).toHaveLength(1);
    expect(combined[0]).toMatchObject({ count: 40, message: '(combined from similar events): Created pod: web-49' });
    expect(events.reduce((n, e) => n + e.count, 0)).toBe(50);
  });

  it('rate-limits writes about one object (token bucket), keeping the counts for the next write', async () => {
    const clock = new FakeClock(Date.now());
    const rec = new EventRecorder({ store: suite.store, component: 'kubelet', ttlSeconds: 60, burstPerObject: 3, qpsPerObject: 1 / 300, clock });
    const noisy = inNamespace('limited');
    const listed = async () => (await suite.store.list<Event>('events', { namespace: 'limited' })).items;
    for (let r = 0; r < 6; r++) rec.warning(noisy, `Reason${r}`, 'something failed');
    // Three go at once; the other three wait for tokens (one every 5 min), writing nothing meanwhile.
    await eventually(async () => (await listed()).length === 3 && clock.pending() === 3, 10_000, '3 written, 3 waiting');
    for (let i = 0; i < 10; i++) rec.warning(noisy, 'Reason5', 'something failed');
    await clock.advance(300_000);
    await eventually(async () => (await listed()).length === 4, 10_000, 'a 4th after 5 min');
    expect(clock.pending()).toBe(2);
    // flush() writes what waits, and the waiting repeats went into its count.
    await rec.flush();
    const events = await listed();
    expect(events).toHaveLength(6);
    expect(events.find((e) => e.reason === 'Reason5')!.count).toBe(11);
  });
});
