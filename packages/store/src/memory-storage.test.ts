// MemoryStorage keeps the Storage contract (the same suite EtcdStorage passes on etcd), and its own
// lease expiry runs on an injected clock.
import { ExpiredError, NotFoundError, type KubeObject } from '@coxswain/objects';
import { FakeClock } from '@coxswain/testing';
import { MemoryStorage } from './memory-storage';
import { describeStorageContract, MIRROR, nextEvents } from './testing/storage-contract';

describeStorageContract('MemoryStorage', async () => {
  const storage = new MemoryStorage({ mirrors: [MIRROR] });
  return { storage, compact: async (rev) => storage.compact(rev), teardown: () => storage.close() };
});

const obj = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Thing', metadata: { name } });

describe('MemoryStorage on a fake clock', () => {
  it('a lease not kept alive expires after its TTL: its keys go, watchers hear it', async () => {
    const clock = new FakeClock();
    const st = new MemoryStorage({ clock });
    try {
      const id = await st.leases.grant(10);
      await st.create('/r/things/a', obj('a'), { lease: id });
      const w = st.watch('/r/things/');
      await clock.advance(6_000);
      await st.leases.keepAlive(id); // renewed: 10 s from now
      expect(await st.leases.timeToLive(id)).toEqual({ grantedSeconds: 10, remainingSeconds: 10 });
      await clock.advance(9_000);
      await expect(st.get('/r/things/a')).resolves.toMatchObject({ metadata: { name: 'a' } });
      await clock.advance(1_000);
      expect((await nextEvents(w, 1)).map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['DELETED a']);
      await expect(st.get('/r/things/a')).rejects.toThrow(NotFoundError);
      await expect(st.leases.keepAlive(id)).rejects.toThrow(NotFoundError);
      w.close();
    } finally {
      await st.close();
    }
  });

  it('keeps a window of recent changes: a watch from before it is ExpiredError', async () => {
    const st = new MemoryStorage({ historyWindow: 3 });
    try {
      const start = await st.currentRevision();
      for (const n of ['a', 'b', 'c', 'd', 'e']) await st.create(`/r/things/${n}`, obj(n));
      await expect(nextEvents(st.watch('/r/things/', { afterRevision: start }), 1)).rejects.toThrow(ExpiredError);
      const recent = String(Number(await st.currentRevision()) - 2);
      expect((await nextEvents(st.watch('/r/things/', { afterRevision: recent }), 2)).map((e) => e.object.metadata.name)).toEqual(['d', 'e']);
    } finally {
      await st.close();
    }
  });
});
