// The watch cache keeps the Storage contract (the suite every backend passes), re-lists when its
// feed comes back behind a compaction, cuts off a watcher that lets its queue fill, and leaves the
// prefixes it is told not to cache to the backend.
import { ExpiredError, UnavailableError, type KubeObject, type StorageWatchOptions, type Watch } from '@coxswain/objects';
import { processMetrics } from '@coxswain/process';
import { eventually, FakeClock, settle } from '@coxswain/testing';
import { CachedStorage } from './cached-storage';
import { MemoryStorage } from './memory-storage';
import { describeStorageContract, MIRROR, watchError } from './testing/storage-contract';

describeStorageContract('CachedStorage on MemoryStorage', async () => {
  const backend = new MemoryStorage({ mirrors: [MIRROR] });
  const storage = new CachedStorage(backend, { root: '/c/' }); // the contract's keys
  await storage.ready;
  return { storage, compact: async (rev) => backend.compact(rev), teardown: () => storage.close() };
});

/** How many consistent lists so far were answered by `served` (the cache, or etcd after it). */
async function consistentReads(served: 'cache' | 'etcd'): Promise<number> {
  const metric = (await processMetrics.getSingleMetric('watch_cache_consistent_reads_total')?.get())?.values ?? [];
  return metric.find((v) => v.labels.served === served)?.value ?? 0;
}

const pod = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' } });
const key = (name: string) => `/registry/pods/default/${name}`;
const event = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' } });

/** A backend whose watches can be ended and refused, as while etcd is down. */
function breakableBackend(): { backend: MemoryStorage; down(): void; up(): void } {
  const backend = new MemoryStorage();
  const open: Watch[] = [];
  let isDown = false;
  const watch = backend.watch.bind(backend);
  backend.watch = <T extends KubeObject>(prefix: string, opts?: StorageWatchOptions): Watch<T> => {
    if (isDown) {
      return { close: () => undefined, [Symbol.asyncIterator]: async function* () { throw new UnavailableError('backend down'); } } as Watch<T>;
    }
    const w = watch<T>(prefix, opts);
    open.push(w);
    return w;
  };
  return {
    backend,
    down() {
      isDown = true;
      for (const w of open.splice(0)) w.close();
    },
    up() {
      isDown = false;
    },
  };
}

/** The prefixes the backend is asked to list from now on. */
function recordLists(backend: MemoryStorage): string[] {
  const lists: string[] = [];
  const listPages = backend.listPages.bind(backend);
  backend.listPages = ((prefix: string, opts?: object) => {
    lists.push(prefix);
    return listPages(prefix, opts);
  }) as MemoryStorage['listPages'];
  return lists;
}

/** A backend whose watches hand out events only as the test lets them through, as a lagging etcd does; its lists are recorded. */
function laggingBackend(): { backend: MemoryStorage; lists: string[]; release(n: number): void } {
  const backend = new MemoryStorage();
  const lists = recordLists(backend);
  let allowed = 0;
  let wake = () => undefined as void;
  const watch = backend.watch.bind(backend);
  backend.watch = <T extends KubeObject>(prefix: string, opts?: StorageWatchOptions): Watch<T> => {
    const inner = watch<T>(prefix, opts);
    return {
      close: () => inner.close(),
      [Symbol.asyncIterator]: async function* () {
        for await (const ev of inner) {
          while (allowed === 0) await new Promise<void>((resolve) => (wake = resolve));
          allowed--;
          yield ev;
        }
      },
    };
  };
  return {
    backend,
    lists,
    release(n) {
      allowed += n;
      wake();
    },
  };
}

/**
 * A cache on a lagging backend (catch-up period 3 s, on a manual clock) that is `behind` pod creations
 * behind it, with the backend's lists recorded from then on. `trickle(n)` lets one change through in
 * each of n catch-up periods.
 */
async function laggingCache(behind: number, maxCatchUpMs: number) {
  const { backend, lists, release } = laggingBackend();
  const clock = new FakeClock();
  const cache = new CachedStorage(backend, { catchUpTimeoutMs: 3_000, maxCatchUpMs, clock });
  await cache.ready;
  for (let i = 0; i < behind; i++) await backend.create(key(`p${i}`), pod(`p${i}`));
  lists.length = 0;
  const trickle = async (periods: number, each?: () => void) => {
    for (let i = 0; i < periods; i++) {
      release(1);
      await settle();
      await clock.advance(3_000);
      each?.();
    }
  };
  const close = async () => {
    release(1_000);
    await cache.close();
  };
  return { backend, cache, clock, lists, release, trickle, close };
}

describe('CachedStorage', () => {
  it('waits for a cache that is behind but moving, and reads the backend once it stops moving', async () => {
    const { backend, cache, clock, lists, release, trickle, close } = await laggingCache(4, 15_000);
    try {
      const [fromCache, fromEtcd] = [await consistentReads('cache'), await consistentReads('etcd')];
      let served: string[] | undefined;
      const listing = cache.list('/registry/pods/').then((r) => (served = r.items.map((p) => p.metadata.name)));
      // Behind by four changes; one arrives in each catch-up period: the list keeps waiting, past 3 s.
      await trickle(3, () => expect(served).toBeUndefined());
      release(1);
      await listing;
      expect(served).toEqual(['p0', 'p1', 'p2', 'p3']);
      expect(lists).toEqual([]); // from memory, not the backend

      // Now the feed delivers nothing: after one catch-up period without a change, the backend answers.
      await backend.create(key('p4'), pod('p4'));
      const stalled = cache.list('/registry/pods/');
      await settle();
      await clock.advance(3_000);
      expect((await stalled).items.map((p) => p.metadata.name)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
      expect(lists).toEqual(['/registry/pods/']);
      expect([await consistentReads('cache'), await consistentReads('etcd')]).toEqual([fromCache + 1, fromEtcd + 1]);
    } finally {
      await close();
    }
  });

  it('reads the backend after maxCatchUpMs even while the cache keeps moving', async () => {
    const { cache, lists, trickle, close } = await laggingCache(10, 9_000);
    try {
      const listing = cache.list('/registry/pods/');
      await trickle(3);
      expect((await listing).items).toHaveLength(10);
      expect(lists).toEqual(['/registry/pods/']);
    } finally {
      await close();
    }
  });

  it('re-lists when its feed comes back behind a compaction: watchers get 410, lists the new state', async () => {
    const { backend, down, up } = breakableBackend();
    const cache = new CachedStorage(backend);
    try {
      await cache.ready;
      await cache.create(key('gone'), pod('gone'));
      await eventually(async () => (await cache.list('/registry/pods/')).items.length === 1);
      const watcher = cache.watch('/registry/pods/', { afterRevision: await cache.currentRevision() });
      down();
      await backend.create(key('new'), pod('new'));
      await backend.delete(key('gone'));
      backend.compact(await backend.currentRevision());
      up();
      expect(await watchError(watcher)).toBeInstanceOf(ExpiredError);
      expect((await cache.list('/registry/pods/')).items.map((p) => p.metadata.name)).toEqual(['new']);
      expect(cache.relists).toBe(2);
    } finally {
      await cache.close();
    }
  });

  it('resumes its feed without a re-list when nothing it missed was compacted', async () => {
    const { backend, down, up } = breakableBackend();
    const cache = new CachedStorage(backend);
    try {
      await cache.ready;
      const from = await cache.currentRevision();
      down();
      await backend.create(key('while-down'), pod('while-down'));
      up();
      const w = cache.watch('/registry/pods/', { afterRevision: from });
      for await (const ev of w) {
        expect(ev).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'while-down' } } });
        break;
      }
      expect(cache.relists).toBe(1);
    } finally {
      await cache.close();
    }
  });

  it('cuts off a watcher that lets more than its queue limit of events wait', async () => {
    const cache = new CachedStorage(new MemoryStorage(), { watcherQueueLimit: 5 });
    try {
      await cache.ready;
      const slow = cache.watch('/registry/pods/', { afterRevision: await cache.currentRevision() });
      for (let i = 0; i < 10; i++) await cache.create(key(`p${i}`), pod(`p${i}`));
      await eventually(() => cache.watcherCount === 0, 5000, 'the slow watcher dropped');
      let taken = 0;
      let error: unknown;
      try {
        for await (const ev of slow) if (ev) taken++;
      } catch (e) {
        error = e;
      }
      expect(taken).toBe(5); // what it had queued, then the reason
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as Error).message).toContain('watcher too slow');
    } finally {
      await cache.close();
    }
  });

  it('a selective list lets the event loop in while it scans, and lists each prefix exactly', async () => {
    const backend = new MemoryStorage();
    const names = Array.from({ length: 20_000 }, (_, i) => `p${String(i).padStart(5, '0')}`);
    await backend.createMany(names.map((n) => ({ key: key(n), obj: pod(n) })));
    await backend.create('/registry/pods/default0/other', { ...pod('other'), metadata: { name: 'other', namespace: 'default0' } });
    const cache = new CachedStorage(backend);
    try {
      await cache.ready;
      // The filter starts a timer-free macrotask on its first object and notes, at the last, whether
      // it has run: a scan that never lets the event loop in would find it still waiting.
      let scanned = 0;
      let immediateRan = false;
      let ranBeforeTheEnd: boolean | undefined;
      const filter = {
        matches: (obj: KubeObject) => {
          if (scanned++ === 0) setImmediate(() => (immediateRan = true));
          if (obj.metadata.name === names[names.length - 1]) ranBeforeTheEnd = immediateRan;
          return obj.metadata.name === 'p00007';
        },
      };
      const { items } = await cache.list('/registry/pods/default/', { filter });
      expect(items.map((p) => p.metadata.name)).toEqual(['p00007']);
      expect(scanned).toBe(20_000); // the namespace's pods, not the one in default0
      expect(ranBeforeTheEnd).toBe(true);
      expect((await cache.list('/registry/pods/default0/')).items.map((p) => p.metadata.name)).toEqual(['other']);
      expect((await cache.list('/registry/pods/')).items).toHaveLength(20_001);
    } finally {
      await cache.close();
    }
  });

  it('leaves an uncached prefix to the backend: its lists and watches are the backend\'s, and its writes still move the cache on', async () => {
    const backend = new MemoryStorage();
    const listed = recordLists(backend);
    await backend.create(key('before'), pod('before'));
    await backend.create('/registry/services/default/web', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' } });
    await backend.create('/registry/events/default/e1', event('e1'));
    const cache = new CachedStorage(backend, { uncached: ['/registry/events/'] });
    try {
      await cache.ready;
      // The first list went resource by resource, and never read the uncached one.
      expect(listed).toEqual(expect.arrayContaining(['/registry/pods/', '/registry/services/']));
      expect(listed).not.toContain('/registry/events/');
      expect((await cache.list('/registry/services/')).items.map((s) => s.metadata.name)).toEqual(['web']);

      const events = cache.watch('/registry/events/default/', { afterRevision: await cache.currentRevision() });
      await cache.create('/registry/events/default/e2', event('e2'));
      for await (const ev of events) {
        expect(ev).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'e2' } } });
        break;
      }
      // The event moved the backend's revision: the cache gets there too, so a consistent list of pods is served from memory.
      const at = await backend.currentRevision();
      await eventually(() => cache.revision === at, 5000, 'the cache at the event write');
      listed.length = 0;
      expect((await cache.list('/registry/pods/')).items.map((p) => p.metadata.name)).toEqual(['before']);
      expect((await cache.list('/registry/events/default/')).items.map((e) => e.metadata.name)).toEqual(['e1', 'e2']);
      expect(listed).toEqual(['/registry/events/default/']);
    } finally {
      await cache.close();
    }
  });
});
