// The informer against a real etcd: the cache must end equal to etcd's contents after ordinary
// changes, across a restart of etcd (changes made while it was disconnected included), and after a
// compaction that forces a relist. Indexes must follow.
import { Backoff } from './backoff';
import { Informer } from './informer';
import { etcdRegistryForSuite, eventually } from '@coxswain/testing';
import type { Pod } from '@coxswain/objects';

jest.setTimeout(90_000);

let nsCounter = 0;
let ns: string;
const informers: Informer<Pod>[] = [];
// Declared before the suite's etcd and registry: Jest runs afterAll hooks in the order they were
// declared, so the informers stop before the registry under them closes.
afterAll(async () => {
  for (const i of informers) await i.stop();
});
const suite = etcdRegistryForSuite({ watchProgressIntervalMs: 1000 });

beforeEach(() => {
  ns = `inf${++nsCounter}`;
});

function pod(name: string, labels: Record<string, string> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
  };
}

function newInformer(backoffInitialMs = 100): { inf: Informer<Pod>; events: string[] } {
  const inf = new Informer<Pod>({
    store: suite.store,
    resource: 'pods',
    namespace: ns,
    backoff: new Backoff({ initialMs: backoffInitialMs, maxMs: backoffInitialMs * 4, jitter: 0 }),
  });
  informers.push(inf);
  const events: string[] = [];
  inf.addEventHandler({
    onAdd: (p) => events.push(`add ${p.metadata.name}`),
    onUpdate: (a, b) => events.push(`update ${b.metadata.name}`),
    onDelete: (p) => events.push(`delete ${p.metadata.name}`),
  });
  inf.addIndex('tier', (p) => (p.metadata.labels?.tier ? [p.metadata.labels.tier] : []));
  return { inf, events };
}

/** What etcd holds for the namespace: name -> resourceVersion and tier label. */
async function etcdState(): Promise<Record<string, string>> {
  const { items } = await suite.store.list<Pod>('pods', { namespace: ns });
  return Object.fromEntries(items.map((p) => [p.metadata.name, `${p.metadata.resourceVersion} ${p.metadata.labels?.tier ?? ''}`]));
}

function cacheState(inf: Informer<Pod>): Record<string, string> {
  return Object.fromEntries(inf.list().map((p) => [p.metadata.name, `${p.metadata.resourceVersion} ${p.metadata.labels?.tier ?? ''}`]));
}

/** Waits until the cache equals etcd (a timeout shows both). */
async function converge(inf: Informer<Pod>, timeoutMs = 15_000): Promise<void> {
  await eventually(
    async () => {
      const want = JSON.stringify(sorted(await etcdState()));
      const got = JSON.stringify(sorted(cacheState(inf)));
      if (got !== want) throw new Error(`cache ${got}, etcd ${want}`);
      return true;
    },
    timeoutMs,
    'the cache to equal etcd',
  );
}

function sorted(o: Record<string, string>): [string, string][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

function tierOf(inf: Informer<Pod>, tier: string): string[] {
  return inf.byIndex('tier', tier).map((p) => p.metadata.name).sort();
}

async function setTier(name: string, tier: string | undefined): Promise<void> {
  await suite.store.guaranteedUpdate<Pod>('pods', ns, name, (p) => {
    const labels = { ...(p.metadata.labels ?? {}) };
    if (tier === undefined) delete labels.tier;
    else labels.tier = tier;
    return { ...p, metadata: { ...p.metadata, labels } };
  });
}

describe('Informer on a real etcd', () => {
  it('cache and indexes match etcd after creates, updates and deletes', async () => {
    for (let i = 0; i < 5; i++) await suite.store.create(pod(`early${i}`, { tier: 'web' }));
    const { inf, events } = newInformer();
    inf.start();
    expect(await inf.waitForSync()).toBe(true);
    expect(inf.size).toBe(5);

    for (let i = 0; i < 20; i++) await suite.store.create(pod(`p${i}`, { tier: i % 2 ? 'web' : 'db' }));
    for (let i = 0; i < 20; i += 3) await setTier(`p${i}`, 'cache');
    for (let i = 0; i < 20; i += 4) await suite.store.delete('pods', ns, `p${i}`);
    await suite.store.delete('pods', ns, 'early0');
    await converge(inf);

    const want = await suite.store.list<Pod>('pods', { namespace: ns });
    for (const tier of ['web', 'db', 'cache']) {
      expect(tierOf(inf, tier)).toEqual(want.items.filter((p) => p.metadata.labels?.tier === tier).map((p) => p.metadata.name).sort());
    }
    expect(events.filter((e) => e.startsWith('add')).length).toBe(25);
    expect(events.filter((e) => e.startsWith('delete')).length).toBe(6);
    expect(inf.stats()).toMatchObject({ lists: 1, expired: 0, errors: 0 });
  });

  it('across a restart of etcd the cache ends equal to etcd, including changes made while disconnected', async () => {
    for (let i = 0; i < 10; i++) await suite.store.create(pod(`r${i}`, { tier: 'web' }));
    // A long first backoff, so the changes below land while the informer is still disconnected.
    const { inf, events } = newInformer(4000);
    inf.start();
    await inf.waitForSync();
    await converge(inf);
    const before = inf.stats();

    await suite.etcd.kill();
    await suite.etcd.restart();
    await suite.store.create(pod('while-down', { tier: 'db' }));
    await setTier('r1', 'db');
    await suite.store.delete('pods', ns, 'r2');
    expect(inf.get(`${ns}/while-down`)).toBeUndefined(); // not seen yet: really disconnected

    await converge(inf, 20_000);
    expect(tierOf(inf, 'db')).toEqual(['r1', 'while-down']);
    expect(inf.get(`${ns}/r2`)).toBeUndefined();
    expect(events).toEqual(expect.arrayContaining(['add while-down', 'update r1', 'delete r2']));
    const after = inf.stats();
    expect(after.errors).toBeGreaterThan(before.errors); // it did notice the outage
    expect(after.lists).toBe(1); // and resumed from its revision: nothing was compacted, no relist needed

    // And it keeps following changes afterwards.
    await suite.store.create(pod('after', { tier: 'web' }));
    await converge(inf);
  });

  it('when its revision is compacted away while disconnected, it relists and the cache ends equal to etcd', async () => {
    for (let i = 0; i < 10; i++) await suite.store.create(pod(`c${i}`, { tier: 'web' }));
    const { inf, events } = newInformer(4000);
    inf.start();
    await inf.waitForSync();
    await converge(inf);
    const revisionBefore = inf.revision!;
    events.length = 0;

    await suite.etcd.kill();
    await suite.etcd.restart();
    await suite.store.create(pod('new', { tier: 'db' }));
    await setTier('c3', 'db');
    await suite.store.delete('pods', ns, 'c4');
    await suite.store.delete('pods', ns, 'c5');
    const compactedTo = await suite.etcd.compact();
    expect(BigInt(compactedTo)).toBeGreaterThan(BigInt(revisionBefore));

    await converge(inf, 20_000);
    const s = inf.stats();
    expect(s.expired).toBeGreaterThanOrEqual(1);
    expect(s.lists).toBe(2);
    expect(BigInt(inf.revision!)).toBeGreaterThanOrEqual(BigInt(compactedTo));
    // The relist delivered exactly the differences.
    expect(events.sort()).toEqual(['add new', 'delete c4', 'delete c5', 'update c3']);
    expect(tierOf(inf, 'db')).toEqual(['c3', 'new']);
    expect(tierOf(inf, 'web')).toEqual(['c0', 'c1', 'c2', 'c6', 'c7', 'c8', 'c9']);
  });

  it('with a label selector, objects that stop matching leave the cache and ones that start matching join it', async () => {
    for (let i = 0; i < 4; i++) await suite.store.create(pod(`s${i}`, { tier: i < 2 ? 'web' : 'db' }));
    const inf = new Informer<Pod>({ store: suite.store, resource: 'pods', namespace: ns, labelSelector: 'tier=web' });
    informers.push(inf);
    inf.start();
    await inf.waitForSync();
    expect(inf.keys().sort()).toEqual([`${ns}/s0`, `${ns}/s1`]);
    await setTier('s0', 'db');
    await setTier('s2', 'web');
    await suite.store.create(pod('s9', { tier: 'web' }));
    const want = [`${ns}/s1`, `${ns}/s2`, `${ns}/s9`].join();
    await eventually(() => inf.keys().sort().join() === want, 10_000, `the cache to hold ${want}`, 20);
  });

  it("follows a minion's bound pods through a custom list/watch pair", async () => {
    const minion = `m-${ns}`;
    const inf = new Informer<Pod>({
      name: `boundpods/${minion}`,
      listWatch: { list: () => suite.store.listBoundPods(minion), watch: (o) => suite.store.watchBoundPods(minion, o) },
    });
    informers.push(inf);
    const a = await suite.store.create(pod('bound-a'));
    await suite.store.bind(ns, 'bound-a', minion, a.metadata.resourceVersion!);
    inf.start();
    await inf.waitForSync();
    expect(inf.keys()).toEqual([`${ns}/bound-a`]);
    const b = await suite.store.create(pod('bound-b'));
    await suite.store.create(pod('unbound'));
    await suite.store.bind(ns, 'bound-b', minion, b.metadata.resourceVersion!);
    await suite.store.delete('pods', ns, 'bound-a');
    await eventually(() => inf.keys().join() === `${ns}/bound-b`, 10_000, 'the cache to hold bound-b alone', 20);
    expect(inf.getByName(ns, 'bound-b')!.spec.nodeName).toBe(minion);
  });
});
