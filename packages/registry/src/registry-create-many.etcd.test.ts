// store.createMany against a real etcd: many creates in one transaction, each answered exactly.
import { AlreadyExistsError, InvalidError } from '@coxswain/objects';
import type { Registry } from './registry';
import { etcdRegistryForSuite } from '@coxswain/testing';
import type { Pod } from '@coxswain/objects';

jest.setTimeout(60_000);

const suite = etcdRegistryForSuite({ watchProgressIntervalMs: 0 });
let nsCounter = 0;
let ns: string;

beforeEach(() => {
  ns = `cm${++nsCounter}`;
});

function pod(meta: { name?: string; generateName?: string }, image = 'busybox'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: '', ...meta, namespace: ns, labels: { app: 'web' } },
    spec: { containers: [{ name: 'main', image }] },
  };
}

/** etcd's current revision, read raw. */
async function revision(): Promise<number> {
  return Number(await suite.store.currentRevision());
}

describe('Registry.createMany', () => {
  it('creates 100 pods from one generateName in one transaction: one revision, 100 distinct names', async () => {
    const before = await revision();
    const results = await suite.store.createMany(Array.from({ length: 100 }, () => pod({ generateName: 'web-' })));
    const after = await revision();
    expect(results.filter((r) => r instanceof Error)).toEqual([]);
    const created = results as Pod[];
    // One txn = one revision for all of them.
    expect(after - before).toBe(1);
    expect(new Set(created.map((p) => p.metadata.resourceVersion))).toEqual(new Set([String(after)]));
    const names = new Set(created.map((p) => p.metadata.name));
    expect(names.size).toBe(100);
    for (const p of created) {
      expect(p.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(p.metadata.uid).toBeTruthy();
      expect(p.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(p.metadata.generation).toBe(1);
    }
    expect(new Set(created.map((p) => p.metadata.uid)).size).toBe(100);

    const stored = await suite.store.list<Pod>('pods', { namespace: ns });
    expect(stored.items.map((p) => p.metadata.name).sort()).toEqual([...names].sort());
    expect(new Set(stored.items.map((p) => p.metadata.resourceVersion))).toEqual(new Set([String(after)]));
  });

  it('answers AlreadyExists for the one taken name among 10 and creates the other 9', async () => {
    const taken = await suite.store.create(pod({ name: 'p3' }, 'original'));
    const results = await suite.store.createMany(Array.from({ length: 10 }, (_, i) => pod({ name: `p${i}` }, 'new')));
    expect(results[3]).toBeInstanceOf(AlreadyExistsError);
    results.forEach((r, i) => {
      if (i === 3) return;
      expect(r).not.toBeInstanceOf(Error);
      expect((r as Pod).metadata.name).toBe(`p${i}`);
    });
    const stored = await suite.store.list<Pod>('pods', { namespace: ns });
    expect(stored.items.map((p) => p.metadata.name).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`).sort());
    // The taken one is untouched.
    const p3 = await suite.store.get<Pod>('pods', ns, 'p3');
    expect(p3.spec.containers[0].image).toBe('original');
    expect(p3.metadata.uid).toBe(taken.metadata.uid);
  });

  it('gives an invalid object its own error and still creates the rest in one transaction', async () => {
    const objs = [pod({ name: 'a' }), pod({ name: 'Not_Valid!' }), pod({ name: 'c' }), { ...pod({}), metadata: { namespace: ns } } as Pod];
    const before = await revision();
    const results = await suite.store.createMany(objs);
    expect(results[1]).toBeInstanceOf(InvalidError);
    expect(results[3]).toBeInstanceOf(InvalidError); // neither name nor generateName
    expect((results[0] as Pod).metadata.name).toBe('a');
    expect((results[2] as Pod).metadata.name).toBe('c');
    expect((results[0] as Pod).metadata.resourceVersion).toBe((results[2] as Pod).metadata.resourceVersion);
    expect((await revision()) - before).toBe(1);
    const stored = await suite.store.list<Pod>('pods', { namespace: ns });
    expect(stored.items.map((p) => p.metadata.name).sort()).toEqual(['a', 'c']);
  });

  it('answers a name given twice in one call exactly: the first is created, the second is AlreadyExists', async () => {
    const results = await suite.store.createMany([pod({ name: 'twin' }, 'one'), pod({ name: 'twin' }, 'two'), pod({ name: 'other' })]);
    expect((results[0] as Pod).spec.containers[0].image).toBe('one');
    expect(results[1]).toBeInstanceOf(AlreadyExistsError);
    expect((results[2] as Pod).metadata.name).toBe('other');
  });

  it("splits more objects than etcd's 128 ops per txn into several transactions", async () => {
    const before = await revision();
    const results = await suite.store.createMany(Array.from({ length: 300 }, (_, i) => pod({ name: `big-${i}` })));
    expect(results.filter((r) => r instanceof Error)).toEqual([]);
    const revisions = new Set((results as Pod[]).map((p) => p.metadata.resourceVersion));
    expect(revisions.size).toBe(3); // 128 + 128 + 44 puts
    expect((await revision()) - before).toBe(3);
    expect((await suite.store.list<Pod>('pods', { namespace: ns })).items).toHaveLength(300);
  });

  it('creates pods that come bound with their bound-pod key, as create() does', async () => {
    const bound = { ...pod({ name: 'b1' }), spec: { nodeName: 'm1', containers: [{ name: 'main', image: 'busybox' }] } } as Pod;
    const results = await suite.store.createMany([bound, pod({ name: 'b2' })]);
    expect(results.filter((r) => r instanceof Error)).toEqual([]);
    expect((await suite.store.listBoundPods('m1')).items.map((p) => p.metadata.name)).toContain('b1');
  });
});
