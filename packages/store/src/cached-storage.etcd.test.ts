// The watch cache on a real etcd: lists from memory that see every write, watches that replay
// exactly what etcd would, 410 where etcd (or the window) has nothing left, and a cache that comes
// back after etcd restarts and after compactions. (It keeps the Storage contract on etcd too:
// etcd-storage-contract.etcd.test.ts.)
import { ExpiredError, type KubeObject, type ListPagesOptions, type ObjectFilter, type Storage, type Watch, type WatchEvent } from '@coxswain/objects';
import { eventually, startEtcd, type EtcdHarness } from '@coxswain/testing';
import { CachedStorage } from './cached-storage';
import { createEtcdStorage, EtcdStorage } from './etcd-storage';
import { watchError } from './testing/storage-contract';

jest.setTimeout(60_000);

function pod(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels } };
}
const key = (name: string) => `/registry/pods/default/${name}`;
const PODS = '/registry/pods/';

/** The backend's list reads, counted: a list served from memory makes none. */
class CountingStorage {
  backendLists = 0;
  wrap(s: EtcdStorage): Storage {
    const original = s.listPages.bind(s);
    s.listPages = <T extends KubeObject>(prefix: string, opts?: ListPagesOptions) => {
      if (opts?.pageSize !== 1) this.backendLists++; // the compaction probe reads one key at most
      return original<T>(prefix, opts);
    };
    return s;
  }
}

/** Takes events from a watch until `count` have come (or it throws). */
async function take(w: Watch, count: number): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  if (count === 0) return out;
  for await (const ev of w) {
    out.push(ev);
    if (out.length === count) break;
  }
  return out;
}


const summary = (evs: WatchEvent[]) => evs.map((e) => `${e.type} ${e.object.metadata.name} @${e.revision} rv=${e.object.metadata.resourceVersion}`);

describe('CachedStorage on etcd', () => {
  let etcd: EtcdHarness;
  let direct: EtcdStorage; // another writer (another API server) and the reference watches
  let counting: CountingStorage;
  let cache: CachedStorage;

  beforeAll(async () => {
    etcd = await startEtcd();
    direct = createEtcdStorage(etcd.endpoints);
  });
  afterAll(async () => {
    await direct?.close();
    await etcd?.stop();
  });
  beforeEach(async () => {
    counting = new CountingStorage();
    cache = new CachedStorage(counting.wrap(createEtcdStorage(etcd.endpoints)), { windowSize: 50, catchUpTimeoutMs: 10_000 });
    await cache.ready;
  });
  afterEach(() => cache.close());

  it('a list right after a write sees it, from memory, whoever wrote it', async () => {
    const listsAtStart = counting.backendLists; // the cache's first list
    for (let i = 0; i < 20; i++) {
      const name = `seen-${i}`;
      // Alternate: a write through the cache's own storage, then one by another client of etcd.
      const written = await (i % 2 ? direct : cache).create(key(name), pod(name));
      const listed = await cache.list(PODS);
      expect(listed.items.map((p) => p.metadata.name)).toContain(name);
      expect(BigInt(listed.resourceVersion)).toBeGreaterThanOrEqual(BigInt(written.metadata.resourceVersion!));
    }
    expect(counting.backendLists).toBe(listsAtStart);
    // resourceVersion=0 (any state) and NotOlderThan a revision the cache has: no backend read either.
    const any = cache.listPages(PODS, { minRevision: '0' });
    expect((await any.next()).value!.items.length).toBeGreaterThanOrEqual(20);
    await any.return(undefined);
    expect(counting.backendLists).toBe(listsAtStart);
  });

  it('a watch from a revision in the window replays exactly the events etcd has for that range', async () => {
    const from = await direct.currentRevision();
    await cache.create(key('r1'), pod('r1', { app: 'web' }));
    await direct.create(key('r2'), pod('r2', { app: 'db' }));
    await direct.guaranteedUpdate(key('r1'), (p) => ({ ...p, metadata: { ...p.metadata, labels: { app: 'db' } } })); // leaves app=web
    await cache.guaranteedUpdate(key('r2'), (p) => ({ ...p, metadata: { ...p.metadata, labels: { app: 'web' } } })); // joins app=web
    await cache.delete(key('r1'));
    await direct.createMany([{ key: key('r3'), obj: pod('r3', { app: 'web' }) }, { key: key('r4'), obj: pod('r4') }]);
    const web: ObjectFilter = { matches: (o) => o.metadata.labels?.app === 'web' };
    for (const filter of [undefined, web]) {
      const reference = direct.watch(PODS, { afterRevision: from, filter });
      const expected = await take(reference, filter ? 4 : 7);
      reference.close();
      const replay = cache.watch(PODS, { afterRevision: from, filter });
      const got = await take(replay, expected.length);
      replay.close();
      expect(summary(got)).toEqual(summary(expected));
      expect(got.map((e) => e.object)).toEqual(expected.map((e) => e.object));
    }
  });

  it('a watch from before the window, or from a revision etcd has compacted, fails with 410 like etcd', async () => {
    const before = await direct.currentRevision();
    for (let i = 0; i < 60; i++) await direct.create(key(`w-${i}`), pod(`w-${i}`)); // more than the window of 50
    const tooOld = await watchError(cache.watch(PODS, { afterRevision: before }));
    expect(tooOld).toBeInstanceOf(ExpiredError);
    expect((tooOld as ExpiredError).code).toBe(410);
    // Inside the window: served. Then etcd compacts it away, and the cache answers as etcd does.
    const inWindow = String(BigInt(before) + 30n);
    const served = cache.watch(PODS, { afterRevision: inWindow });
    expect((await take(served, 1))[0]!.revision).toBe(String(BigInt(inWindow) + 1n));
    served.close();
    await etcd.compact();
    const fromEtcd = await watchError(direct.watch(PODS, { afterRevision: inWindow }));
    const fromCache = await watchError(cache.watch(PODS, { afterRevision: inWindow }));
    expect(fromEtcd).toBeInstanceOf(ExpiredError);
    expect(fromCache).toBeInstanceOf(ExpiredError);
    // The compaction does not disturb the cache: lists and new watches go on.
    const now = await direct.currentRevision();
    const live = cache.watch(PODS, { afterRevision: now });
    await direct.create(key('after-compaction'), pod('after-compaction'));
    expect((await take(live, 1))[0]!.object.metadata.name).toBe('after-compaction');
    live.close();
    expect((await cache.list(PODS)).items.map((p) => p.metadata.name)).toContain('after-compaction');
  });

  it('survives an etcd restart: watchers resume, lists see writes made after it', async () => {
    const from = await direct.currentRevision();
    const watcher = cache.watch(PODS, { afterRevision: from });
    const seen: WatchEvent[] = [];
    const consuming = (async () => {
      for await (const ev of watcher) seen.push(ev);
    })();
    await direct.create(key('before-restart'), pod('before-restart'));
    await eventually(() => seen.length === 1, 10_000, 'the first event');
    await etcd.kill();
    await etcd.restart();
    // The writer retries until etcd answers again (the store itself never retries).
    await eventually(async () => {
      try {
        await direct.create(key('after-restart'), pod('after-restart'));
        return true;
      } catch (e) {
        return (e as Error).name === 'AlreadyExistsError';
      }
    }, 20_000, 'a write after the restart');
    await eventually(() => seen.some((e) => e.object.metadata.name === 'after-restart'), 20_000, 'the watcher saw the write after the restart');
    expect(summary(seen).filter((s) => s.includes('restart'))).toHaveLength(2);
    expect((await cache.list(PODS)).items.map((p) => p.metadata.name)).toEqual(expect.arrayContaining(['before-restart', 'after-restart']));
    watcher.close();
    await consuming;
  });
});
