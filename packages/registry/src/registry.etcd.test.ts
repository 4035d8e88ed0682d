// Integration tests of the object store against a real etcd (started by the harness).
import { AlreadyExistsError, BadRequestError, ConflictError, ExpiredError, InvalidError, NotFoundError, UnavailableError } from '@coxswain/objects';
import type { Registry } from './registry';
import type { ListPage, WatchEvent, KubeObject, Pod, ReplicationController, Service } from '@coxswain/objects';
import { EtcdHarness, etcdRegistry, etcdRegistryForSuite, eventually, startEtcd } from '@coxswain/testing';

jest.setTimeout(60_000);

const suite = etcdRegistryForSuite({ watchProgressIntervalMs: 1000 });
let nsCounter = 0;
/** A fresh namespace per test, so tests sharing one etcd do not see each other's objects. */
let ns: string;

beforeEach(() => {
  ns = `ns${++nsCounter}`;
});

function pod(name: string, labels: Record<string, string> = {}, extra: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'main', image: 'busybox' }], ...extra },
  };
}

function rc(name: string, replicas = 1): ReplicationController {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { app: name },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } },
    },
  };
}

async function rawKeys(prefix: string): Promise<string[]> {
  return (await suite.client.getAll().prefix(prefix).keys()).sort();
}

/** Collects `n` events from a watch, failing after `ms` if they do not come. */
async function take<T extends KubeObject>(w: AsyncIterable<WatchEvent<T>>, n: number, ms = 10_000): Promise<WatchEvent<T>[]> {
  const out: WatchEvent<T>[] = [];
  if (n === 0) return out;
  const it = w[Symbol.asyncIterator]();
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`only ${out.length} of ${n} events in ${ms} ms`)), ms).unref());
  while (out.length < n) {
    const r = await Promise.race([it.next(), timeout]);
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

/** etcd's own count of open watch streams (a gauge on /metrics). */
async function watchStreams(): Promise<number> {
  const body = await (await fetch(`${suite.etcd.endpoints[0]}/metrics`)).text();
  const m = /^etcd_debugging_mvcc_watch_stream_total (\d+)/m.exec(body);
  if (!m) throw new Error('no etcd_debugging_mvcc_watch_stream_total in /metrics');
  return Number(m[1]);
}

const summary = (evs: WatchEvent[]) => evs.map((e) => `${e.type} ${e.object.metadata.name}`);

describe('create / get / list / delete', () => {
  it('creates with server-set fields and reads back the same', async () => {
    const created = await suite.store.create(pod('web-1', { app: 'web' }));
    expect(created.apiVersion).toBe('v1');
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.generation).toBe(1);
    expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(typeof created.metadata.resourceVersion).toBe('string');
    const got = await suite.store.get<Pod>('pods', ns, 'web-1');
    expect(got).toEqual(created);
    // resourceVersion is the key's mod revision and is not stored in the value
    const raw = await suite.client.kv.range({ key: Buffer.from(`/registry/pods/${ns}/web-1`) });
    expect(raw.kvs[0].mod_revision).toBe(created.metadata.resourceVersion);
    expect(JSON.parse(raw.kvs[0].value.toString()).metadata.resourceVersion).toBeUndefined();
  });

  it('defaults the namespace and drops it for cluster-scoped kinds', async () => {
    const p = pod(`nsless-${ns}`);
    delete p.metadata.namespace;
    const created = await suite.store.create(p);
    expect(created.metadata.namespace).toBe('default');
    await suite.store.delete('pods', undefined, p.metadata.name);
    const m = await suite.store.create({ apiVersion: 'v1', kind: 'Minion', metadata: { name: `minion-${ns}`, namespace: 'x' } });
    expect(m.metadata.namespace).toBeUndefined();
    expect(await rawKeys(`/registry/minions/minion-${ns}`)).toEqual([`/registry/minions/minion-${ns}`]);
    await suite.store.delete('minions', undefined, `minion-${ns}`);
  });

  it('generates names from generateName', async () => {
    const p = pod('');
    p.metadata = { name: '', generateName: 'frontend-', namespace: ns };
    const a = await suite.store.create(p);
    const b = await suite.store.create(p);
    expect(a.metadata.name).toMatch(/^frontend-[a-z0-9]{5}$/);
    expect(b.metadata.name).not.toBe(a.metadata.name);
  });

  it('retries a generated name that collides', async () => {
    let calls = 0;
    // The first two suffixes are all 'a' (a collision on the second create), then all 'b'.
    const s = etcdRegistry(suite.client, { random: () => (calls++ < 10 ? 0 : 1 / 36) });
    const p = pod('');
    p.metadata = { name: '', generateName: 'gen-', namespace: ns };
    expect((await s.create(p)).metadata.name).toBe('gen-aaaaa');
    expect((await s.create(p)).metadata.name).toBe('gen-bbbbb');
  });

  it('answers with typed errors', async () => {
    await suite.store.create(pod('dup'));
    await expect(suite.store.create(pod('dup'))).rejects.toBeInstanceOf(AlreadyExistsError);
    await expect(suite.store.get('pods', ns, 'nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(suite.store.delete('pods', ns, 'nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(suite.store.delete('services', ns, 'nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(suite.store.create({ ...pod('x'), kind: 'Widget' } as any)).rejects.toBeInstanceOf(BadRequestError);
    await expect(suite.store.list('pods', { labelSelector: 'a in b' })).rejects.toThrow(/"b"/);
  });

  it('rejects an invalid object at the boundary and writes nothing', async () => {
    const before = await suite.store.currentRevision();
    const bad = pod('bad');
    (bad.spec.containers[0] as any).image = undefined;
    const err = await suite.store.create(bad).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidError);
    expect(err.causes.length).toBeGreaterThan(0);
    expect(await suite.store.currentRevision()).toBe(before);
  });

  it('rejects an update whose kind does not match the resource', async () => {
    await suite.store.create(rc('kinds'));
    await expect(
      suite.store.guaranteedUpdate<any>('replicationControllers', ns, 'kinds', (cur) => ({ ...cur, kind: 'Pod' })),
    ).rejects.toThrow(/does not match resource/);
  });

  it('lists with label and field selectors at one revision', async () => {
    await suite.store.create(pod('a', { tier: 'web', env: 'prod' }));
    await suite.store.create(pod('b', { tier: 'web', env: 'dev' }));
    await suite.store.create(pod('c', { tier: 'db' }));
    const all = await suite.store.list<Pod>('pods', { namespace: ns });
    expect(all.items.map((p) => p.metadata.name)).toEqual(['a', 'b', 'c']);
    expect(all.resourceVersion).toBe(await suite.store.currentRevision());
    const names = async (labelSelector: string) =>
      (await suite.store.list<Pod>('pods', { namespace: ns, labelSelector })).items.map((p) => p.metadata.name);
    expect(await names('tier=web')).toEqual(['a', 'b']);
    expect(await names('tier=web,env!=prod')).toEqual(['b']);
    expect(await names('env in (prod,dev)')).toEqual(['a', 'b']);
    expect(await names('!env')).toEqual(['c']);
    const unbound = await suite.store.list<Pod>('pods', { namespace: ns, fieldSelector: 'spec.nodeName=' });
    expect(unbound.items).toHaveLength(3);
    // every namespace: includes this one's
    const everywhere = await suite.store.list<Pod>('pods', { labelSelector: 'tier=db' });
    expect(everywhere.items.some((p) => p.metadata.namespace === ns && p.metadata.name === 'c')).toBe(true);
  });

  it('deletes with preconditions', async () => {
    const created = await suite.store.create(pod('pre'));
    await expect(suite.store.delete('pods', ns, 'pre', { preconditions: { uid: 'other' } })).rejects.toBeInstanceOf(ConflictError);
    await expect(suite.store.delete('pods', ns, 'pre', { preconditions: { resourceVersion: '1' } })).rejects.toBeInstanceOf(ConflictError);
    await suite.store.get('pods', ns, 'pre'); // still there
    const gone = await suite.store.delete<Pod>('pods', ns, 'pre', {
      preconditions: { uid: created.metadata.uid, resourceVersion: created.metadata.resourceVersion },
    });
    expect(gone.metadata.uid).toBe(created.metadata.uid);
    await expect(suite.store.get('pods', ns, 'pre')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('attaches a lease when asked for a TTL', async () => {
    const ev = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'ev1', namespace: ns },
      involvedObject: { kind: 'Pod', name: 'p', namespace: ns },
      reason: 'Scheduled',
      message: 'assigned',
      type: 'Normal',
      count: 1,
      firstTimestamp: '2014-06-10T00:00:00Z',
      lastTimestamp: '2014-06-10T00:00:00Z',
    } as KubeObject;
    await suite.store.create(ev, { ttlSeconds: 1 });
    const raw = await suite.client.kv.range({ key: Buffer.from(`/registry/events/${ns}/ev1`) });
    expect(raw.kvs[0].lease).not.toBe('0');
    // an update keeps the lease
    await suite.store.guaranteedUpdate<any>('events', ns, 'ev1', (e) => ({ ...e, count: 2 }));
    const raw2 = await suite.client.kv.range({ key: Buffer.from(`/registry/events/${ns}/ev1`) });
    expect(raw2.kvs[0].lease).toBe(raw.kvs[0].lease);
    // a shared lease that was revoked is replaced, not an error
    await suite.client.leaseClient.leaseRevoke({ ID: raw.kvs[0].lease });
    await suite.store.create({ ...ev, metadata: { name: 'ev2', namespace: ns } }, { ttlSeconds: 1 });
    const raw3 = await suite.client.kv.range({ key: Buffer.from(`/registry/events/${ns}/ev2`) });
    expect(raw3.kvs[0].lease).not.toBe(raw.kvs[0].lease);
    await suite.store.create({ ...ev, metadata: { name: 'ev1', namespace: ns } }, { ttlSeconds: 1 });
    // and the object goes away with its lease (TTL 1 s + 1 s reuse slack, etcd checks leases every 500 ms)
    await eventually(async () => (await suite.client.kv.range({ key: Buffer.from(`/registry/events/${ns}/ev1`) })).kvs.length === 0, 8000, 'the event to expire with its lease');
    await expect(suite.store.get('events', ns, 'ev1')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('paged lists', () => {
  it('reads every page at the first page\'s revision: objects written meanwhile are not in it', async () => {
    for (let i = 0; i < 25; i++) await suite.store.create(pod(`p${String(i).padStart(2, '0')}`, { half: i % 2 ? 'odd' : 'even' }));
    const pages = suite.store.listPages<Pod>('pods', { namespace: ns, pageSize: 10 });
    const first = await pages.next();
    expect(first.done).toBe(false);
    const firstPage = first.value as ListPage<Pod>;
    const rv = firstPage.resourceVersion;
    // Written after the first page: a snapshot list must not show it, though it sorts into page 3.
    await suite.store.create(pod('p99'));
    const names = firstPage.items.map((i) => i.name);
    const sizes = [firstPage.items.length];
    for await (const page of pages) {
      expect(page.resourceVersion).toBe(rv);
      sizes.push(page.items.length);
      names.push(...page.items.map((i) => i.name));
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(names).toEqual(Array.from({ length: 25 }, (_, i) => `p${String(i).padStart(2, '0')}`));
    // list() is the same pages joined.
    expect((await suite.store.list('pods', { namespace: ns })).items.map((p) => p.metadata.name)).toContain('p99');
  });

  it('without a page size, reads 500 keys first and then pages of about 1 MiB (fewer round trips for long lists)', async () => {
    const gns = `${ns}-grow`;
    const pods = Array.from({ length: 1200 }, (_, i) => ({ ...pod(`g${String(i).padStart(4, '0')}`), metadata: { name: `g${String(i).padStart(4, '0')}`, namespace: gns } }) as Pod);
    for (let i = 0; i < pods.length; i += 64) await suite.store.createMany(pods.slice(i, i + 64));
    const sizes = (await collect(suite.store.listPages<Pod>('pods', { namespace: gns }))).map((p) => p.items.length);
    // Small pods (~300 bytes): after the first 500 the rest fits one 1 MiB page.
    expect(sizes).toEqual([500, 700]);
  });

  it('gives each item its identity without decoding, and the body on demand', async () => {
    const created = await suite.store.create(pod('lazy', { app: 'x' }));
    const [page] = await collect(suite.store.listPages<Pod>('pods', { namespace: ns }));
    const item = page.items[0];
    expect({ namespace: item.namespace, name: item.name, resourceVersion: item.resourceVersion }).toEqual({
      namespace: ns,
      name: 'lazy',
      resourceVersion: created.metadata.resourceVersion,
    });
    expect(item.object().metadata.labels).toEqual({ app: 'x' });
    // Cluster-scoped: no namespace in the key.
    await suite.store.create({ apiVersion: 'v1', kind: 'Minion', metadata: { name: `m-${ns}` } } as KubeObject);
    const minions = (await collect(suite.store.listPages('minions'))).flatMap((p) => p.items);
    const m = minions.find((i) => i.name === `m-${ns}`);
    expect(m).toBeDefined();
    expect(m!.namespace).toBeUndefined();
  });

  it('filters by selector across pages', async () => {
    for (let i = 0; i < 12; i++) await suite.store.create(pod(`s${i}`, { tier: i % 3 === 0 ? 'db' : 'web' }));
    const items = (await collect(suite.store.listPages<Pod>('pods', { namespace: ns, labelSelector: 'tier=db', pageSize: 5 }))).flatMap((p) => p.items);
    expect(items.map((i) => i.name).sort()).toEqual(['s0', 's3', 's6', 's9']);
  });

  it('fails with ExpiredError when the revision is compacted between pages', async () => {
    for (let i = 0; i < 6; i++) await suite.store.create(pod(`e${i}`));
    const pages = suite.store.listPages<Pod>('pods', { namespace: ns, pageSize: 2 });
    await pages.next();
    // The second page was prefetched; the third asks for a compacted revision.
    await suite.store.create(pod('later'));
    await suite.etcd.compact();
    const err = await collect(pages).catch((e) => e);
    expect(err).toBeInstanceOf(ExpiredError);
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('updates', () => {
  it('rejects a stale update with ConflictError; without a resourceVersion an update is unconditional', async () => {
    const v1 = await suite.store.create(rc('stale'));
    const v2 = await suite.store.update({ ...v1, spec: { ...v1.spec, replicas: 2 } });
    expect(BigInt(v2.metadata.resourceVersion!)).toBeGreaterThan(BigInt(v1.metadata.resourceVersion!));
    await expect(suite.store.update({ ...v1, spec: { ...v1.spec, replicas: 3 } })).rejects.toBeInstanceOf(ConflictError);
    expect((await suite.store.get<ReplicationController>('replicationControllers', ns, 'stale')).spec.replicas).toBe(2);
    const v3 = await suite.store.update({ ...v1, metadata: { ...v1.metadata, resourceVersion: undefined }, spec: { ...v1.spec, replicas: 4 } });
    expect(v3.spec.replicas).toBe(4);
    expect(v3.metadata.generation).toBe(3);
  });

  it('skips a write that changes nothing', async () => {
    const v1 = await suite.store.create(rc('noop'));
    const before = await suite.store.currentRevision();
    // same content, keys in another order, server-set fields omitted or wrong
    const same = {
      kind: v1.kind,
      apiVersion: 'v1',
      spec: { template: v1.spec.template, selector: v1.spec.selector, replicas: 1 },
      metadata: { namespace: ns, name: 'noop', resourceVersion: v1.metadata.resourceVersion, uid: 'forged', generation: 7 },
    } as ReplicationController;
    const out = await suite.store.update(same);
    expect(out.metadata.resourceVersion).toBe(v1.metadata.resourceVersion);
    expect(out.metadata.uid).toBe(v1.metadata.uid);
    await suite.store.updateStatus({ ...v1 });
    await suite.store.guaranteedUpdate('replicationControllers', ns, 'noop', (cur) => cur);
    expect(await suite.store.currentRevision()).toBe(before);
  });

  it('writes a status from a cached copy in one txn, and refuses a stale copy', async () => {
    const v1 = await suite.store.create(rc('cached'));
    const v2 = await suite.store.updateStatus({ ...v1, status: { replicas: 1 } }, { cached: v1 });
    expect(BigInt(v2.metadata.resourceVersion!)).toBeGreaterThan(BigInt(v1.metadata.resourceVersion!));
    expect((await suite.store.get<ReplicationController>('replicationControllers', ns, 'cached')).status).toEqual({ replicas: 1 });
    // v1 is stale now: the CAS refuses it, and nothing is written.
    const before = await suite.store.currentRevision();
    await expect(suite.store.updateStatus({ ...v1, status: { replicas: 9 } }, { cached: v1 })).rejects.toBeInstanceOf(ConflictError);
    expect(await suite.store.currentRevision()).toBe(before);
    await suite.store.delete('replicationControllers', ns, 'cached');
    await expect(suite.store.updateStatus({ ...v2, status: { replicas: 2 } }, { cached: v2 })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('bumps generation on spec changes only', async () => {
    const v1 = await suite.store.create(rc('gen'));
    expect(v1.metadata.generation).toBe(1);
    const labelled = await suite.store.update({ ...v1, metadata: { ...v1.metadata, labels: { x: 'y' } } });
    expect(labelled.metadata.generation).toBe(1);
    const scaled = await suite.store.update({ ...labelled, spec: { ...labelled.spec, replicas: 5 } });
    expect(scaled.metadata.generation).toBe(2);
    const status = await suite.store.updateStatus({ ...scaled, status: { replicas: 5, observedGeneration: 2 } });
    expect(status.metadata.generation).toBe(2);
    const viaFn = await suite.store.guaranteedUpdate<ReplicationController>('replicationControllers', ns, 'gen', (cur) => {
      cur.spec.replicas = 6;
      return cur;
    });
    expect(viaFn.metadata.generation).toBe(3);
  });

  it('keeps status on update and spec+metadata on updateStatus', async () => {
    const v1 = await suite.store.create(rc('sep'));
    const withStatus = await suite.store.updateStatus({ ...v1, status: { replicas: 1 } });
    // an update that carries an old (absent) status and a new spec: the stored status stays
    const updated = await suite.store.update({ ...withStatus, status: undefined, spec: { ...withStatus.spec, replicas: 4 } });
    expect(updated.status).toEqual({ replicas: 1 });
    expect(updated.spec.replicas).toBe(4);
    // a status write that carries a stale spec and new labels: only the status changes
    const statusOnly = await suite.store.updateStatus({
      ...updated,
      metadata: { ...updated.metadata, labels: { sneaky: 'yes' } },
      spec: { ...updated.spec, replicas: 99 },
      status: { replicas: 4 },
    });
    expect(statusOnly.spec.replicas).toBe(4);
    expect(statusOnly.metadata.labels).toBeUndefined();
    expect(statusOnly.status).toEqual({ replicas: 4 });
    // a stale status write conflicts too
    await expect(suite.store.updateStatus({ ...updated, status: { replicas: 0 } })).rejects.toBeInstanceOf(ConflictError);
  });

  it('50 concurrent writers through guaranteedUpdate count to exactly 50', async () => {
    await suite.store.create({ ...rc('counter'), metadata: { name: 'counter', namespace: ns, annotations: { count: '0' } } });
    await Promise.all(
      Array.from({ length: 50 }, () =>
        suite.store.guaranteedUpdate<ReplicationController>('replicationControllers', ns, 'counter', (cur) => {
          cur.metadata.annotations = { count: String(Number(cur.metadata.annotations!.count) + 1) };
          return cur;
        }),
      ),
    );
    const final = await suite.store.get<ReplicationController>('replicationControllers', ns, 'counter');
    expect(final.metadata.annotations!.count).toBe('50');
  });

  it('passes guaranteedUpdate a private copy', async () => {
    await suite.store.create(rc('copy'));
    let seen: ReplicationController | undefined;
    await suite.store.guaranteedUpdate<ReplicationController>('replicationControllers', ns, 'copy', (cur) => {
      seen = cur;
      cur.spec.replicas = 9;
      return cur;
    });
    seen!.spec.replicas = 1000;
    expect((await suite.store.get<ReplicationController>('replicationControllers', ns, 'copy')).spec.replicas).toBe(9);
  });
});

describe('watch', () => {
  it('replays exactly the events after an old resourceVersion, in order', async () => {
    const start = await suite.store.currentRevision();
    const a = await suite.store.create(pod('w-a'));
    await suite.store.create(pod('w-b'));
    await suite.store.update({ ...a, metadata: { ...a.metadata, labels: { v: '2' } } });
    await suite.store.delete('pods', ns, 'w-b');
    const w = suite.store.watch<Pod>('pods', { namespace: ns, resourceVersion: start });
    const evs = await take(w, 4);
    w.close();
    expect(summary(evs)).toEqual(['ADDED w-a', 'ADDED w-b', 'MODIFIED w-a', 'DELETED w-b']);
    const revs = evs.map((e) => BigInt(e.revision));
    expect([...revs].sort((x, y) => (x < y ? -1 : 1))).toEqual(revs);
    expect(evs[0].object.metadata.resourceVersion).toBe(evs[0].revision);
    expect(evs[3].object.metadata.resourceVersion).toBe(evs[3].revision); // DELETED carries the deletion revision
    expect(evs[3].object.metadata.name).toBe('w-b');
    // and nothing more arrives
    const w2 = suite.store.watch<Pod>('pods', { namespace: ns, resourceVersion: evs[3].revision });
    await expect(take(w2, 1, 500)).rejects.toThrow(/only 0 of 1/);
    w2.close();
  });

  it('buffers events that happen before the first next()', async () => {
    const rv = await suite.store.currentRevision();
    const w = suite.store.watch<Pod>('pods', { namespace: ns, resourceVersion: rv });
    const witness = suite.store.watch<Pod>('pods', { namespace: ns, resourceVersion: rv });
    for (let i = 0; i < 20; i++) await suite.store.create(pod(`buf-${i}`));
    // Once another watch from the same revision has all 20, etcd has sent them to w too: w's first
    // next() comes after its events arrived.
    await take(witness, 20);
    witness.close();
    const evs = await take(w, 20);
    w.close();
    expect(evs.map((e) => e.object.metadata.name)).toEqual(Array.from({ length: 20 }, (_, i) => `buf-${i}`));
  });

  it('turns selector transitions into ADDED and DELETED', async () => {
    const rv = await suite.store.currentRevision();
    const w = suite.store.watch<Pod>('pods', { namespace: ns, labelSelector: 'role=front', resourceVersion: rv });
    const p = await suite.store.create(pod('sel', { role: 'back' })); // not seen
    const p2 = await suite.store.update({ ...p, metadata: { ...p.metadata, labels: { role: 'front' } } }); // ADDED
    const p3 = await suite.store.update({ ...p2, metadata: { ...p2.metadata, labels: { role: 'front', x: '1' } } }); // MODIFIED
    const p4 = await suite.store.update({ ...p3, metadata: { ...p3.metadata, labels: { role: 'back' } } }); // DELETED
    await suite.store.delete('pods', ns, 'sel'); // not seen: it no longer matched
    await suite.store.create(pod('sel2', { role: 'front' })); // ADDED
    await suite.store.delete('pods', ns, 'sel2'); // DELETED
    const evs = await take(w, 5);
    w.close();
    expect(summary(evs)).toEqual(['ADDED sel', 'MODIFIED sel', 'DELETED sel', 'ADDED sel2', 'DELETED sel2']);
    expect(evs[2].object.metadata.labels).toEqual({ role: 'front', x: '1' }); // the last matching state
    expect(evs[2].revision).toBe(p4.metadata.resourceVersion);
  });

  it('fails with ExpiredError when the revision was compacted', async () => {
    const old = await suite.store.currentRevision();
    await suite.store.create(pod('c1'));
    await suite.store.create(pod('c2'));
    await suite.etcd.compact();
    const w = suite.store.watch('pods', { namespace: ns, resourceVersion: old });
    const err = await take(w, 1).catch((e) => e);
    expect(err).toBeInstanceOf(ExpiredError);
    expect(err.code).toBe(410);
  });

  it('reports progress', async () => {
    const revisions: string[] = [];
    const w = suite.store.watch('pods', { namespace: ns, onProgress: (r) => revisions.push(r) });
    // Progress is asked for every second here (watchProgressIntervalMs: 1000).
    await eventually(() => revisions.length > 0, 5000, 'a progress notification');
    w.close();
  });

  it('closing one watch leaves the other watches and the client connections alone', async () => {
    const rv = await suite.store.currentRevision();
    const a = suite.store.watch<Pod>('pods', { namespace: ns, resourceVersion: rv });
    const b = suite.store.watch<Pod>('pods', { namespace: ns, resourceVersion: rv });
    await Promise.all([(a as any).ready, (b as any).ready]);
    // The etcd3 library drops every gRPC client of a host when a stream it thinks is live errors.
    const host = (suite.client as any).pool.hosts[0];
    const reset = jest.spyOn(host, 'resetAllServices');
    const streams = await watchStreams();
    a.close();
    await eventually(async () => (await watchStreams()) < streams, 5000, "a's stream to end in etcd");
    await suite.store.create(pod('after-close'));
    expect(summary(await take(b, 1))).toEqual(['ADDED after-close']);
    b.close();
    expect(reset).not.toHaveBeenCalled();
    reset.mockRestore();
  });

  it('rejects a bad resourceVersion or selector up front', () => {
    expect(() => suite.store.watch('pods', { resourceVersion: 'abc' })).toThrow(BadRequestError);
    expect(() => suite.store.watch('pods', { labelSelector: 'a in (' })).toThrow(BadRequestError);
  });
});

describe('binding', () => {
  it('binds in one transaction; a second bind conflicts and leaves one bound-pod key', async () => {
    const p = await suite.store.create(pod('bp'));
    const minion = `m-${ns}`;
    await suite.store.bind(ns, 'bp', minion, p.metadata.resourceVersion!);
    await expect(suite.store.bind(ns, 'bp', `other-${ns}`, p.metadata.resourceVersion!)).rejects.toBeInstanceOf(ConflictError);
    const now = await suite.store.get<Pod>('pods', ns, 'bp');
    await expect(suite.store.bind(ns, 'bp', `other-${ns}`, now.metadata.resourceVersion!)).rejects.toThrow(/already bound/);
    expect(now.spec.nodeName).toBe(minion);
    expect(now.metadata.generation).toBe(1);
    expect(await rawKeys(`/registry/boundpods/`)).toEqual(expect.arrayContaining([`/registry/boundpods/${minion}/${ns}/bp`]));
    expect((await rawKeys(`/registry/boundpods/`)).filter((k) => k.endsWith(`/${ns}/bp`))).toHaveLength(1);
    const bound = await suite.store.listBoundPods(minion);
    expect(bound.items.map((b) => b.metadata.name)).toEqual(['bp']);
    expect(bound.items[0].spec.nodeName).toBe(minion);
    expect(bound.items[0].status).toBeUndefined();
  });

  it('races: of many concurrent binds exactly one wins', async () => {
    const p = await suite.store.create(pod('race'));
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => suite.store.bind(ns, 'race', `r${i}-${ns}`, p.metadata.resourceVersion!)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError)).toHaveLength(9);
    expect((await rawKeys('/registry/boundpods/')).filter((k) => k.endsWith(`/${ns}/race`))).toHaveLength(1);
  });

  it('binds from a cached copy in one etcd round trip; a stale copy conflicts, a deleted pod is NotFound', async () => {
    const minion = `c-${ns}`;
    const p = await suite.store.create(pod('cached', { a: '1' }));
    const txn = jest.spyOn(suite.client.kv, 'txn');
    const range = jest.spyOn(suite.client.kv, 'range');
    try {
      await suite.store.bind(ns, 'cached', minion, p.metadata.resourceVersion!, p);
      expect(txn).toHaveBeenCalledTimes(1);
      expect(range).not.toHaveBeenCalled();
    } finally {
      txn.mockRestore();
      range.mockRestore();
    }
    const now = await suite.store.get<Pod>('pods', ns, 'cached');
    expect(now.spec.nodeName).toBe(minion);
    expect(now.metadata.labels).toEqual({ a: '1' });
    expect((await suite.store.listBoundPods(minion)).items.map((b) => b.metadata.name)).toEqual(['cached']);
    // The same (now stale) copy again: nothing written, and a Conflict naming the newer revision.
    await expect(suite.store.bind(ns, 'cached', `other-${ns}`, p.metadata.resourceVersion!, p)).rejects.toThrow(/has been modified/);
    await expect(suite.store.bind(ns, 'cached', `other-${ns}`, now.metadata.resourceVersion!, now)).rejects.toThrow(/already bound/);
    expect(await rawKeys(`/registry/boundpods/other-${ns}/`)).toEqual([]);
    const gone = await suite.store.create(pod('gone'));
    await suite.store.delete('pods', ns, 'gone');
    await expect(suite.store.bind(ns, 'gone', minion, gone.metadata.resourceVersion!, gone)).rejects.toBeInstanceOf(NotFoundError);
    expect((await rawKeys(`/registry/boundpods/${minion}/`)).filter((k) => k.endsWith('/gone'))).toEqual([]);
  });

  it('bindMany binds several pods in one transaction', async () => {
    const minion = `many-${ns}`;
    const pods = await Promise.all(['m1', 'm2', 'm3'].map((n) => suite.store.create(pod(n))));
    const txn = jest.spyOn(suite.client.kv, 'txn');
    const range = jest.spyOn(suite.client.kv, 'range');
    let results: (Error | undefined)[];
    try {
      results = await suite.store.bindMany(pods.map((p) => ({ namespace: ns, podName: p.metadata.name, minion, pod: p })));
      expect(txn).toHaveBeenCalledTimes(1);
      expect(range).not.toHaveBeenCalled();
    } finally {
      txn.mockRestore();
      range.mockRestore();
    }
    expect(results).toEqual([undefined, undefined, undefined]);
    expect((await suite.store.listBoundPods(minion)).items.map((b) => b.metadata.name).sort()).toEqual(['m1', 'm2', 'm3']);
    for (const n of ['m1', 'm2', 'm3']) expect((await suite.store.get<Pod>('pods', ns, n)).spec.nodeName).toBe(minion);
  });

  it('bindMany answers each binding exactly when one pod in the batch changed or is gone', async () => {
    const minion = `mixed-${ns}`;
    const [a, b, c, d] = await Promise.all(['x1', 'x2', 'x3', 'x4'].map((n) => suite.store.create(pod(n))));
    await suite.store.update({ ...b, metadata: { ...b.metadata, labels: { changed: 'yes' } } }); // b's copy is now stale
    await suite.store.delete('pods', ns, 'x3');
    const results = await suite.store.bindMany([a, b, c, d].map((p) => ({ namespace: ns, podName: p.metadata.name, minion, pod: p })));
    expect(results[0]).toBeUndefined();
    expect(results[1]).toBeInstanceOf(ConflictError);
    expect(results[2]).toBeInstanceOf(NotFoundError);
    expect(results[3]).toBeUndefined();
    expect((await suite.store.listBoundPods(minion)).items.map((p) => p.metadata.name).sort()).toEqual(['x1', 'x4']);
    expect((await suite.store.get<Pod>('pods', ns, 'x2')).spec.nodeName).toBeUndefined();
  });

  it('a bind checks the minion name it sets, not the whole pod again: a bad name is Invalid on spec.nodeName and writes nothing', async () => {
    const minion = `named-${ns}`;
    const [ok, bad] = await Promise.all(['n1', 'n2'].map((n) => suite.store.create(pod(n))));
    const results = await suite.store.bindMany([
      { namespace: ns, podName: 'n1', minion, pod: ok },
      { namespace: ns, podName: 'n2', minion: 'Not_A_Name', pod: bad },
    ]);
    expect(results[0]).toBeUndefined();
    expect(results[1]).toBeInstanceOf(InvalidError);
    expect((results[1] as InvalidError).causes).toEqual([expect.objectContaining({ field: 'spec.nodeName' })]);
    await expect(suite.store.bind(ns, 'n2', 'Not_A_Name', bad.metadata.resourceVersion!)).rejects.toThrow(/spec\.nodeName/);
    expect((await suite.store.get<Pod>('pods', ns, 'n2')).spec.nodeName).toBeUndefined();
    expect(await rawKeys('/registry/boundpods/Not_A_Name/')).toEqual([]);
    // What was bound is the stored pod with its minion set: labels, spec and generation as they were.
    const bound = await suite.store.get<Pod>('pods', ns, 'n1');
    expect(bound).toEqual({ ...ok, metadata: { ...ok.metadata, resourceVersion: bound.metadata.resourceVersion }, spec: { ...ok.spec, nodeName: minion } });
  });

  it('updateStatusMany writes several statuses in one transaction from the copies given, keeping their specs', async () => {
    const minion = `st-${ns}`;
    const created = await Promise.all(['s1', 's2', 's3'].map((n) => suite.store.create(pod(n))));
    await suite.store.bindMany(created.map((p) => ({ namespace: ns, podName: p.metadata.name, minion, pod: p })));
    const bound = await Promise.all(created.map((p) => suite.store.get<Pod>('pods', ns, p.metadata.name)));
    const txn = jest.spyOn(suite.client.kv, 'txn');
    const range = jest.spyOn(suite.client.kv, 'range');
    let results: (Pod | Error)[];
    try {
      // The spec sent is ignored: a status update keeps the stored one.
      results = await suite.store.updateStatusMany<Pod>(bound.map((p) => ({ obj: { ...p, spec: { ...p.spec, nodeName: 'elsewhere' }, status: { phase: 'Running' as const } }, cached: p })));
      expect(txn).toHaveBeenCalledTimes(1);
      expect(range).not.toHaveBeenCalled();
    } finally {
      txn.mockRestore();
      range.mockRestore();
    }
    for (const r of results) expect(r).not.toBeInstanceOf(Error);
    const saved = results as Pod[];
    expect(new Set(saved.map((p) => p.metadata.resourceVersion)).size).toBe(1);
    for (const p of bound) {
      const now = await suite.store.get<Pod>('pods', ns, p.metadata.name);
      expect(now.status?.phase).toBe('Running');
      expect(now.spec.nodeName).toBe(minion);
      expect(now.metadata.resourceVersion).toBe(saved[0].metadata.resourceVersion);
    }
    // As updateStatus: the bound-pod keys (the kubelet's watch) are not touched by a status write.
    expect((await suite.store.listBoundPods(minion)).items.map((b) => b.metadata.resourceVersion)).toEqual(bound.map((p) => p.metadata.resourceVersion));
  });

  it('updateStatusMany answers each update exactly: a stale copy, a deleted pod, a bad status, a mismatched copy', async () => {
    const [a, b, c, d, e] = await Promise.all(['u1', 'u2', 'u3', 'u4', 'u5'].map((n) => suite.store.create(pod(n))));
    await suite.store.update({ ...b, metadata: { ...b.metadata, labels: { changed: 'yes' } } }); // b's copy is now stale
    await suite.store.delete('pods', ns, 'u3');
    const running = { phase: 'Running' as const };
    const results = await suite.store.updateStatusMany<Pod>([
      { obj: { ...a, status: running }, cached: a },
      { obj: { ...b, status: running }, cached: b },
      { obj: { ...c, status: running }, cached: c },
      { obj: { ...d, status: { phase: 'Sleeping' as never } }, cached: d },
      { obj: { ...e, status: running }, cached: a },
    ]);
    expect((results[0] as Pod).status?.phase).toBe('Running');
    expect(results[1]).toBeInstanceOf(ConflictError);
    expect(results[2]).toBeInstanceOf(NotFoundError);
    expect(results[3]).toBeInstanceOf(InvalidError);
    expect((results[3] as Error).message).toMatch(/status\.phase/);
    expect(results[4]).toBeInstanceOf(BadRequestError);
    expect((await suite.store.get<Pod>('pods', ns, 'u1')).status?.phase).toBe('Running');
    for (const n of ['u2', 'u4', 'u5']) expect((await suite.store.get<Pod>('pods', ns, n)).status?.phase).not.toBe('Running');
  });

  it('keeps the bound-pod key in step with spec updates, ignores status writes, and deletes it with the pod', async () => {
    const minion = `k-${ns}`;
    const p = await suite.store.create(pod('life', { a: '1' }));
    const rv0 = await suite.store.currentRevision();
    const w = suite.store.watchBoundPods(minion, { resourceVersion: rv0 });
    await suite.store.bind(ns, 'life', minion, p.metadata.resourceVersion!);
    let cur = await suite.store.get<Pod>('pods', ns, 'life');
    cur = await suite.store.updateStatus({ ...cur, status: { phase: 'Running' } }); // no bound-pod event
    // an update must not move the pod; omitting nodeName keeps it
    await expect(suite.store.update({ ...cur, spec: { ...cur.spec, nodeName: 'elsewhere' } })).rejects.toBeInstanceOf(InvalidError);
    const spec = { ...cur.spec, containers: [{ name: 'main', image: 'busybox:2' }] };
    delete spec.nodeName;
    cur = await suite.store.update({ ...cur, spec });
    expect(cur.spec.nodeName).toBe(minion);
    expect(cur.status).toEqual({ phase: 'Running' });
    await suite.store.delete('pods', ns, 'life');
    const evs = await take(w, 3);
    w.close();
    expect(summary(evs)).toEqual(['ADDED life', 'MODIFIED life', 'DELETED life']);
    expect(evs[1].object.spec.containers[0].image).toBe('busybox:2');
    expect(await rawKeys(`/registry/boundpods/${minion}/`)).toEqual([]);
  });

  it('writes the bound-pod key when a pod is created already bound', async () => {
    const minion = `pre-${ns}`;
    await suite.store.create(pod('prebound', {}, { nodeName: minion }));
    expect((await suite.store.listBoundPods(minion)).items.map((b) => b.metadata.name)).toEqual(['prebound']);
    await suite.store.delete('pods', ns, 'prebound');
    expect((await suite.store.listBoundPods(minion)).items).toEqual([]);
  });

  it('services have no status', async () => {
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc', namespace: ns },
      spec: { ports: [{ port: 80 }], selector: { app: 'x' } },
    };
    const s = await suite.store.create(svc);
    await expect(suite.store.updateStatus(s)).rejects.toBeInstanceOf(BadRequestError);
  });
});

describe('when etcd goes away', () => {
  let own: EtcdHarness;
  let s: Registry;
  beforeAll(async () => {
    own = await startEtcd();
    s = etcdRegistry(own.client(), { callTimeoutMs: 2000, watchProgressIntervalMs: 500 });
  });
  afterAll(async () => {
    await s?.close();
    await own?.stop();
  });

  it('fails calls and watches with UnavailableError in bounded time, and works again after a restart', async () => {
    const p = await s.create({ ...pod('survivor') });
    const w = s.watch('pods', { resourceVersion: p.metadata.resourceVersion });
    const watchEnded = take(w, 1, 20_000).catch((e) => e);
    await own.kill();

    const started = Date.now();
    const results = await Promise.all([
      s.get('pods', ns, 'survivor').catch((e) => e),
      s.create(pod('during')).catch((e) => e),
      s.list('pods').catch((e) => e),
      s.guaranteedUpdate('pods', ns, 'survivor', (c) => c).catch((e) => e),
      watchEnded,
    ]);
    for (const r of results) expect(r).toBeInstanceOf(UnavailableError);
    expect(Date.now() - started).toBeLessThan(10_000);

    await own.restart();
    // the client reconnects by itself; allow it a few tries
    const got = await eventually(() => s.get<Pod>('pods', ns, 'survivor'), 15_000, 'a read after the restart');
    expect(got.metadata.name).toBe('survivor');
    await s.create(pod('after'));
    const w2 = s.watch('pods', { resourceVersion: p.metadata.resourceVersion });
    const evs = await take(w2, 1);
    w2.close();
    expect(summary(evs)).toEqual(['ADDED after']);
  });
});
