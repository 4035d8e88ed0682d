// The Storage contract (packages/objects/src/storage.ts) as one suite, run against every
// implementation: MemoryStorage in the unit project (memory-storage.test.ts), EtcdStorage on a real
// etcd in the integration project (etcd-storage-contract.etcd.test.ts). What one passes, both do.
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  ExpiredError,
  NotFoundError,
  UnavailableError,
  type KubeObject,
  type Mirror,
  type Storage,
  type Watch,
  type WatchEvent,
} from '@coxswain/objects';

export interface ContractSubject {
  /** A storage keeping MIRROR (below). */
  storage: Storage;
  /** Compacts the store's history up to `revision` (etcd's compaction). */
  compact(revision: string): Promise<void>;
  teardown(): Promise<void>;
}

/** The contract's mirror: a thing with `spec.home` has a copy (without status) under /c/homes/<home>/<name>. */
export const MIRROR: Mirror = {
  prefix: '/c/things/',
  keyFor: (obj) => {
    const home = (obj as Thing).spec?.home;
    return home ? `/c/homes/${home}/${obj.metadata.name}` : undefined;
  },
  valueFor: (obj) => {
    const { status: _status, ...rest } = obj as Thing;
    return rest as Thing;
  },
};

interface Thing extends KubeObject<{ home?: string; n?: number }, { note?: string }> {
  labels?: never;
}

const thing = (name: string, spec: Thing['spec'] = {}, labels?: Record<string, string>): Thing => ({
  apiVersion: 'v1',
  kind: 'Thing',
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, ...(labels ? { labels } : {}) },
  spec,
});
const key = (name: string) => `/c/things/ns/${name}`;

/** What a watch fails with once its events run out (undefined if it just ends). */
export async function watchError(w: Watch): Promise<unknown> {
  try {
    for await (const ev of w) void ev;
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The next `n` events of a watch, or a failure naming how many came within `ms`. */
export async function nextEvents<T extends KubeObject>(w: Watch<T>, n: number, ms = 5000): Promise<WatchEvent<T>[]> {
  const out: WatchEvent<T>[] = [];
  const it = w[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`only ${out.length} of ${n} watch events within ${ms} ms`)), ms);
  });
  try {
    while (out.length < n) {
      const r = await Promise.race([it.next(), timeout]);
      if (r.done) throw new Error(`the watch ended after ${out.length} of ${n} events`);
      out.push(r.value);
    }
    return out;
  } finally {
    clearTimeout(timer);
  }
}

const summary = (evs: WatchEvent[]) => evs.map((e) => `${e.type} ${e.object.metadata.name}`);

export function describeStorageContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`Storage contract: ${name}`, () => {
    let s: ContractSubject;
    let st: Storage;
    beforeEach(async () => {
      s = await setup();
      st = s.storage;
    });
    afterEach(async () => {
      await s.teardown();
    });

    it('creates once, reads back with the revision as resourceVersion, never storing the resourceVersion', async () => {
      const before = BigInt(await st.currentRevision());
      const a = await st.create(key('a'), { ...thing('a'), metadata: { ...thing('a').metadata, resourceVersion: '999' } });
      expect(BigInt(a.metadata.resourceVersion!)).toBeGreaterThan(before);
      expect(await st.get<Thing>(key('a'))).toEqual(a);
      await expect(st.create(key('a'), thing('a'))).rejects.toThrow(AlreadyExistsError);
      await expect(st.get(key('missing'))).rejects.toThrow(NotFoundError);
      const err = await st.get(key('missing')).catch((e: NotFoundError) => e);
      expect(err).toMatchObject({ resource: 'things', objectName: 'missing' });
    });

    it('hands out copies: changing a returned object changes nothing stored', async () => {
      const a = await st.create(key('copy'), thing('copy', { n: 1 }));
      a.spec!.n = 2;
      const read = await st.get<Thing>(key('copy'));
      expect(read.spec!.n).toBe(1);
      read.spec!.n = 3;
      expect((await st.get<Thing>(key('copy'))).spec!.n).toBe(1);
    });

    it('createMany: one revision for all; a taken key gets its own error, the others are created', async () => {
      const many = await st.createMany(['m1', 'm2', 'm3'].map((n) => ({ key: key(n), obj: thing(n) })));
      expect(many.every((r) => !(r instanceof Error))).toBe(true);
      expect(new Set(many.map((r) => (r as Thing).metadata.resourceVersion)).size).toBe(1);
      const mixed = await st.createMany(['m4', 'm2', 'm5'].map((n) => ({ key: key(n), obj: thing(n) })));
      expect(mixed[0]).not.toBeInstanceOf(Error);
      expect(mixed[1]).toBeInstanceOf(AlreadyExistsError);
      expect(mixed[2]).not.toBeInstanceOf(Error);
      expect((await st.list(key(''))).items.map((t) => t.metadata.name)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    });

    it('guaranteedUpdate: a private copy in, the stored object out; a no-op write is skipped', async () => {
      const a = await st.create(key('g'), thing('g', { n: 1 }));
      const b = await st.guaranteedUpdate<Thing>(key('g'), (cur) => {
        cur.spec!.n = 2;
        return cur;
      });
      expect(b.spec!.n).toBe(2);
      expect(BigInt(b.metadata.resourceVersion!)).toBeGreaterThan(BigInt(a.metadata.resourceVersion!));
      const rev = await st.currentRevision();
      const same = await st.guaranteedUpdate<Thing>(key('g'), (cur) => cur);
      expect(same.metadata.resourceVersion).toBe(b.metadata.resourceVersion);
      expect(await st.currentRevision()).toBe(rev);
      await expect(st.guaranteedUpdate(key('nope'), (c) => c)).rejects.toThrow(NotFoundError);
    });

    it('guaranteedUpdate with expectedVersion: a stale version is a ConflictError naming both, nothing written', async () => {
      const a = await st.create(key('cas'), thing('cas', { n: 1 }));
      const b = await st.guaranteedUpdate<Thing>(key('cas'), (c) => ({ ...c, spec: { n: 2 } }), { expectedVersion: a.metadata.resourceVersion });
      const err = await st
        .guaranteedUpdate<Thing>(key('cas'), (c) => ({ ...c, spec: { n: 3 } }), { expectedVersion: a.metadata.resourceVersion })
        .catch((e: Error) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as Error).message).toContain(`resourceVersion ${a.metadata.resourceVersion} is stale, current is ${b.metadata.resourceVersion}`);
      expect((await st.get<Thing>(key('cas'))).spec!.n).toBe(2);
    });

    it('guaranteedUpdate from a cached copy: applied to the copy; a stale copy conflicts; a deleted object is NotFound', async () => {
      const a = await st.create(key('cached'), thing('cached', { n: 1 }));
      const b = await st.guaranteedUpdate<Thing>(key('cached'), (c) => ({ ...c, status: { note: 'x' } }), { expectedVersion: a.metadata.resourceVersion, cached: a });
      expect(b).toMatchObject({ spec: { n: 1 }, status: { note: 'x' } });
      await expect(st.guaranteedUpdate<Thing>(key('cached'), (c) => ({ ...c, status: { note: 'y' } }), { expectedVersion: a.metadata.resourceVersion, cached: a })).rejects.toThrow(ConflictError);
      await st.delete(key('cached'));
      await expect(st.guaranteedUpdate<Thing>(key('cached'), (c) => ({ ...c, status: { note: 'z' } }), { expectedVersion: b.metadata.resourceVersion, cached: b })).rejects.toThrow(NotFoundError);
    });

    it('a hint (a probably-current copy) never changes the answer: a stale one is applied to the stored object, a refused one re-checked', async () => {
      const a = await st.create(key('h'), thing('h', { n: 1 }));
      const b = await st.guaranteedUpdate<Thing>(key('h'), (c) => ({ ...c, spec: { n: 2 } }), { hint: a });
      expect(b.spec!.n).toBe(2);
      await st.guaranteedUpdate<Thing>(key('h'), (c) => ({ ...c, status: { note: 'elsewhere' } }));
      // `b` is stale now: the update still lands on the stored object, keeping the other write.
      const c = await st.guaranteedUpdate<Thing>(key('h'), (cur) => ({ ...cur, spec: { n: cur.spec!.n! + 1 } }), { hint: b });
      expect(c).toMatchObject({ spec: { n: 3 }, status: { note: 'elsewhere' } });
      // Refused on the stale copy only: the stored object is asked again.
      const d = await st.guaranteedUpdate<Thing>(key('h'), (cur) => {
        if (cur.spec!.n !== 3) throw new BadRequestError('n must be 3');
        return { ...cur, spec: { n: 4 } };
      }, { hint: a });
      expect(d.spec!.n).toBe(4);
      // Unchanged against a stale copy, changed against the stored one: written.
      const e = await st.guaranteedUpdate<Thing>(key('h'), (cur) => ({ ...cur, spec: { n: 1 } }), { hint: a });
      expect((await st.get<Thing>(key('h'))).spec!.n).toBe(1);
      // An expectedVersion the hint is not at: the precondition is the stored object's.
      await expect(st.guaranteedUpdate<Thing>(key('h'), (cur) => cur, { expectedVersion: a.metadata.resourceVersion, hint: e })).rejects.toThrow(ConflictError);
      // delete: a stale hint answers with the object as it was deleted; preconditions held against the stored one.
      await expect(st.delete(key('h'), { preconditions: { resourceVersion: a.metadata.resourceVersion }, hint: a })).rejects.toThrow(ConflictError);
      const gone = await st.delete<Thing>(key('h'), { preconditions: { uid: 'uid-h' }, hint: a });
      expect(gone).toMatchObject({ spec: { n: 1 }, status: { note: 'elsewhere' } });
      await expect(st.delete(key('h'), { hint: a })).rejects.toThrow(NotFoundError);
      await expect(st.guaranteedUpdate<Thing>(key('h'), (cur) => cur, { hint: a })).rejects.toThrow(NotFoundError);
    });

    it('20 concurrent read-modify-writes of one key lose no update', async () => {
      await st.create(key('counter'), thing('counter', { n: 0 }));
      await Promise.all(
        Array.from({ length: 20 }, () =>
          st.guaranteedUpdate<Thing>(key('counter'), async (c) => {
            await Promise.resolve();
            return { ...c, spec: { n: (c.spec!.n ?? 0) + 1 } };
          }),
        ),
      );
      expect((await st.get<Thing>(key('counter'))).spec!.n).toBe(20);
    });

    it('updateMany: one revision when all are current; a stale or deleted one answered alone, exactly', async () => {
      const [a, b, c] = (await st.createMany(['u1', 'u2', 'u3'].map((n) => ({ key: key(n), obj: thing(n, { n: 0 }) })))) as Thing[];
      const done = (await st.updateMany([a, b, c].map((t) => ({ key: key(t.metadata.name), current: t, next: { ...t, spec: { n: 1 } } })))) as Thing[];
      expect(new Set(done.map((t) => t.metadata.resourceVersion)).size).toBe(1);
      await st.delete(key('u3'));
      const answers = await st.updateMany([
        { key: key('u1'), current: done[0], next: { ...done[0], spec: { n: 2 } } },
        { key: key('u2'), current: b, next: { ...b, spec: { n: 2 } } },
        { key: key('u3'), current: done[2], next: { ...done[2], spec: { n: 2 } } },
      ]);
      expect(answers[0]).not.toBeInstanceOf(Error);
      expect(answers[1]).toBeInstanceOf(ConflictError);
      expect(answers[2]).toBeInstanceOf(NotFoundError);
      expect((await st.get<Thing>(key('u1'))).spec!.n).toBe(2);
      expect((await st.get<Thing>(key('u2'))).spec!.n).toBe(1);
    });

    it('delete: returns the object at the deletion revision; uid and resourceVersion preconditions', async () => {
      const a = await st.create(key('d'), thing('d'));
      await expect(st.delete(key('d'), { preconditions: { uid: 'other' } })).rejects.toThrow(ConflictError);
      await expect(st.delete(key('d'), { preconditions: { resourceVersion: '1' } })).rejects.toThrow(ConflictError);
      const gone = await st.delete<Thing>(key('d'), { preconditions: { uid: 'uid-d', resourceVersion: a.metadata.resourceVersion } });
      expect(gone.metadata.name).toBe('d');
      expect(gone.metadata.resourceVersion).toBe(await st.currentRevision());
      await expect(st.delete(key('d'))).rejects.toThrow(NotFoundError);
    });

    it('mirrors: written with the object, moved when it moves, rewritten only when their value changes, deleted with it', async () => {
      const rev0 = await st.currentRevision();
      await st.create(key('m'), thing('m', { home: 'h1', n: 1 }));
      expect((await st.list('/c/homes/h1/')).items.map((t) => t.metadata.name)).toEqual(['m']);
      const watchHomes = st.watch<Thing>('/c/homes/', { afterRevision: rev0 });
      await st.guaranteedUpdate<Thing>(key('m'), (c) => ({ ...c, status: { note: 'status only' } }));
      await st.guaranteedUpdate<Thing>(key('m'), (c) => ({ ...c, spec: { home: 'h2', n: 1 } }));
      await st.delete(key('m'));
      const evs = await nextEvents(watchHomes, 4);
      watchHomes.close();
      // created under h1; the status-only write did not touch it; moved to h2; deleted with the object
      expect(evs.map((e) => `${e.type} ${e.object.spec?.home}`)).toEqual(['ADDED h1', 'DELETED h1', 'ADDED h2', 'DELETED h2']);
      expect(evs[0].object.status).toBeUndefined();
      expect((await st.list('/c/homes/')).items).toEqual([]);
    });

    it('lists in key order at one revision, in pages, with a filter (and its bytes pre-check)', async () => {
      for (const n of ['e', 'b', 'd', 'a', 'c']) await st.create(key(n), thing(n, {}, { tier: n < 'c' ? 'front' : 'back' }));
      const pages: string[][] = [];
      let at: string | undefined;
      for await (const page of st.listPages<Thing>(key(''), { pageSize: 2 })) {
        if (pages.length === 0) await st.create(key('z-during'), thing('z-during'));
        at ??= page.resourceVersion;
        expect(page.resourceVersion).toBe(at);
        pages.push(page.items.map((i) => `${i.namespace}/${i.name}`));
        // An item names itself as its object does, and its key is the object's.
        for (const i of page.items) {
          expect([i.name, i.namespace, i.resourceVersion]).toEqual([i.object().metadata.name, i.object().metadata.namespace, i.object().metadata.resourceVersion]);
          if (i.key !== undefined) expect(i.key).toBe(key(i.name));
        }
      }
      expect(pages.flat()).toEqual(['ns/a', 'ns/b', 'ns/c', 'ns/d', 'ns/e']);
      const front = await st.list<Thing>(key(''), { filter: { matches: (o) => o.metadata.labels?.tier === 'front', mayMatchJson: (json) => Buffer.from(json).includes('"front"') } });
      expect(front.items.map((t) => t.metadata.name)).toEqual(['a', 'b']);
      expect(BigInt(front.resourceVersion)).toBeGreaterThanOrEqual(BigInt(at!));
    });

    it('watches from a revision replay exactly the later changes, in order; DELETED carries the last object', async () => {
      const rev = await st.currentRevision();
      await st.create(key('w1'), thing('w1', { n: 1 }));
      await st.guaranteedUpdate<Thing>(key('w1'), (c) => ({ ...c, spec: { n: 2 } }));
      await st.create(key('w2'), thing('w2'));
      await st.delete(key('w1'));
      const w = st.watch<Thing>(key(''), { afterRevision: rev });
      const evs = await nextEvents(w, 4);
      expect(summary(evs)).toEqual(['ADDED w1', 'MODIFIED w1', 'ADDED w2', 'DELETED w1']);
      expect(evs[3].object.spec!.n).toBe(2);
      expect(evs[3].revision).toBe(evs[3].object.metadata.resourceVersion);
      expect(evs.map((e) => BigInt(e.revision))).toEqual([...evs.map((e) => BigInt(e.revision))].sort((a, b) => (a < b ? -1 : 1)));
      await st.create(key('w3'), thing('w3'));
      expect(summary(await nextEvents(w, 1))).toEqual(['ADDED w3']);
      w.close();
    });

    it('a watch for a caller that knows the last state: the same changes, ADDED and MODIFIED whole, DELETED naming the object', async () => {
      const rev = await st.currentRevision();
      await st.create(key('k1'), thing('k1', { n: 1 }));
      await st.guaranteedUpdate<Thing>(key('k1'), (c) => ({ ...c, spec: { n: 2 } }));
      await st.delete(key('k1'));
      const w = st.watch<Thing>(key(''), { afterRevision: rev, knowsLastState: true });
      const evs = await nextEvents(w, 3);
      w.close();
      expect(summary(evs)).toEqual(['ADDED k1', 'MODIFIED k1', 'DELETED k1']);
      expect(evs[1].object.spec!.n).toBe(2);
      // Its identity at least (etcd sends no previous value); a backend that has the object may send it whole.
      expect(evs[2].object.metadata).toMatchObject({ name: 'k1', namespace: 'ns', resourceVersion: evs[2].revision });
      // A filter needs the previous value: a filtered watch still reports the object that stopped matching.
      const rev2 = await st.currentRevision();
      const filtered = st.watch<Thing>(key(''), { afterRevision: rev2, knowsLastState: true, filter: { matches: (o) => (o as Thing).spec?.n === 1 } });
      await st.create(key('k2'), thing('k2', { n: 1 }));
      await st.delete(key('k2'));
      const fevs = await nextEvents(filtered, 2);
      filtered.close();
      expect(fevs.map((e) => `${e.type} ${e.object.spec?.n}`)).toEqual(['ADDED 1', 'DELETED 1']);
    });

    it('a filtered watch: ADDED when an object starts to match, DELETED when it stops', async () => {
      const rev = await st.currentRevision();
      const w = st.watch<Thing>(key(''), { afterRevision: rev, filter: { matches: (o) => (o as Thing).spec?.n === 1 } });
      await st.create(key('f'), thing('f', { n: 0 }));
      await st.guaranteedUpdate<Thing>(key('f'), (c) => ({ ...c, spec: { n: 1 } }));
      await st.guaranteedUpdate<Thing>(key('f'), (c) => ({ ...c, status: { note: 'still 1' } }));
      await st.guaranteedUpdate<Thing>(key('f'), (c) => ({ ...c, spec: { n: 2 } }));
      const evs = await nextEvents(w, 3);
      w.close();
      expect(evs.map((e) => `${e.type} ${e.object.spec?.n}`)).toEqual(['ADDED 1', 'MODIFIED 1', 'DELETED 1']);
    });

    it('a watch from a compacted revision fails with ExpiredError; a bad revision is refused up front', async () => {
      const rev = await st.currentRevision();
      await st.create(key('c1'), thing('c1'));
      await st.create(key('c2'), thing('c2'));
      await s.compact(await st.currentRevision());
      const w = st.watch(key(''), { afterRevision: rev });
      await expect(nextEvents(w, 1)).rejects.toThrow(ExpiredError);
      w.close();
      expect(() => st.watch(key(''), { afterRevision: 'abc' })).toThrow(BadRequestError);
    });

    it('leases: keys on a revoked lease vanish (watchers hear it); keepAlive of a gone lease is NotFound', async () => {
      const id = await st.leases.grant(30);
      await st.create('/c/leased/ns/one', thing('one'), { lease: id });
      await st.create('/c/leased/ns/two', thing('two'), { lease: id });
      expect(await st.leases.timeToLive(id)).toMatchObject({ grantedSeconds: 30 });
      await st.leases.keepAlive(id);
      const rev = await st.currentRevision();
      const w = st.watch<Thing>('/c/', { afterRevision: rev });
      await st.leases.revoke(id);
      const evs = await nextEvents(w, 2);
      w.close();
      expect(evs.map((e) => e.type)).toEqual(['DELETED', 'DELETED']);
      await expect(st.get('/c/leased/ns/one')).rejects.toThrow(NotFoundError);
      await expect(st.leases.keepAlive(id)).rejects.toThrow(NotFoundError);
      expect(await st.leases.timeToLive(id)).toBeUndefined();
      await st.leases.revoke(id); // a lease already gone is not an error
    });

    it('an update keeps the key on its lease; a mirrored object cannot be leased', async () => {
      const id = await st.leases.grant(30);
      await st.create('/c/leased/ns/kept', thing('kept', { n: 1 }), { lease: id });
      await st.guaranteedUpdate<Thing>('/c/leased/ns/kept', (c) => ({ ...c, spec: { n: 2 } }));
      await st.leases.revoke(id);
      await expect(st.get('/c/leased/ns/kept')).rejects.toThrow(NotFoundError);
      await expect(st.create(key('mirrored'), thing('mirrored', { home: 'h' }), { ttlSeconds: 30 })).rejects.toThrow(BadRequestError);
      await expect(st.createMany([{ key: key('mirrored'), obj: thing('mirrored') }], { ttlSeconds: 30 })).resolves.toEqual([expect.any(BadRequestError)]);
    });

    it('after close() every call fails with UnavailableError and open watches end', async () => {
      const w = st.watch(key(''));
      const ended = (async () => {
        for await (const _ of w) {
          // no events expected
        }
        return 'ended';
      })();
      await st.close();
      await expect(ended).resolves.toBe('ended');
      await expect(st.get(key('x'))).rejects.toThrow(UnavailableError);
    });
  });
}
