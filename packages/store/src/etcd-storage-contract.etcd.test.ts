// EtcdStorage keeps the Storage contract on a real etcd: the same suite MemoryStorage passes.
import { EtcdHarness, startEtcd } from '@coxswain/testing';
import { prefixRangeEnd } from './key-range';
import { EtcdStorage } from './etcd-storage';
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
