// EtcdStorage keeps the Storage contract on a real etcd: the same suite MemoryStorage passes; so
// does the watch cache over it.
import { EtcdHarness, eventually, startEtcd } from '@coxswain/testing';
import { prefixRangeEnd } from './key-range';
import { EtcdStorage } from './etcd-storage';
import { CachedStorage } from './cached-storage';
import { describeStorageContract, MIRROR } from './testing/storage-contract';

jest.setTimeout(30_000);

let etcd: EtcdHarness;
beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

describeStorageContract('EtcdStorage', async () => {
  // One etcd for the file; each case starts from an empty /c/ prefix.
  const raw = etcd.client();
  await raw.kv.deleteRange({ key: Buffer.from('/c/'), range_end: prefixRangeEnd('/c/') });
  const storage = new EtcdStorage(etcd.client(), { mirrors: [MIRROR], watchProgressIntervalMs: 1000 });
  return {
    storage,
    compact: async (rev) => void (await etcd.compact(rev)),
    teardown: () => storage.close(),
  };
});

describeStorageContract('CachedStorage (the watch cache) over EtcdStorage', async () => {
  // The contract's keys live under /c/: cached here as the API server caches /registry/.
  await etcd.client().kv.deleteRange({ key: Buffer.from('/c/'), range_end: prefixRangeEnd('/c/') });
  const storage = new CachedStorage(new EtcdStorage(etcd.client(), { mirrors: [MIRROR], watchProgressIntervalMs: 1000 }), { root: '/c/' });
  await storage.ready;
  return { storage, compact: async (rev) => void (await etcd.compact(rev)), teardown: () => storage.close() };
});

describe('EtcdStorage watch progress', () => {
  it('a watch from a past revision reports no progress past an event it has not handed out', async () => {
    // etcd answers a watch's creation with its current revision, not the start: taking that as
    // "delivered up to" let a resumed watch skip the events in between.
    const storage = new EtcdStorage(etcd.client(), { watchProgressIntervalMs: 200 });
    try {
      const rev = await storage.currentRevision();
      const obj = (name: string) => ({ apiVersion: 'v1', kind: 'Thing', metadata: { name } });
      await storage.create('/p/things/ns/one', obj('one'));
      await storage.create('/p/things/ns/two', obj('two'));
      const reported: string[] = [];
      const w = storage.watch('/p/things/', { afterRevision: rev, onProgress: (r) => reported.push(r) });
      await eventually(() => reported.length >= 2, 5000, 'two progress reports');
      for (const r of reported) expect(r).toBe(rev);
      w.close();
    } finally {
      await storage.close();
    }
  });
});
