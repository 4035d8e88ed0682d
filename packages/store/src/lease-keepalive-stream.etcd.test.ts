// Lease keepalives on one shared stream, on a real etcd: many leases renewed over one LeaseKeepAlive
// stream (etcd's own count says so), a lease etcd no longer has answered NotFound beside live ones,
// and the stream opened again after etcd restarts.
import { NotFoundError } from '@coxswain/objects';
import { EtcdHarness, eventually, scrapeMetrics, startEtcd } from '@coxswain/testing';
import { createEtcdStorage } from './etcd-storage';

jest.setTimeout(60_000);

/** How many LeaseKeepAlive streams etcd has been asked to open (a counter on /metrics; absent before the first). */
async function keepAliveStreamsStarted(endpoint: string): Promise<number> {
  const { samples } = await scrapeMetrics(`${endpoint}/metrics`);
  return samples.get('grpc_server_started_total{grpc_method="LeaseKeepAlive",grpc_service="etcdserverpb.Lease",grpc_type="bidi_stream"}') ?? 0;
}

describe('lease keepalives on one stream (real etcd)', () => {
  let etcd: EtcdHarness;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd.stop();
  });

  it('renews 20 leases three times each over one stream', async () => {
    const storage = createEtcdStorage(etcd.endpoints);
    try {
      const ids = await Promise.all(Array.from({ length: 20 }, () => storage.leases.grant(30)));
      const before = await keepAliveStreamsStarted(etcd.endpoints[0]);
      for (let round = 0; round < 3; round++) await Promise.all(ids.map((id) => storage.leases.keepAlive(id)));
      expect((await keepAliveStreamsStarted(etcd.endpoints[0])) - before).toBe(1);
      for (const id of ids) expect(await storage.leases.timeToLive(id)).toMatchObject({ grantedSeconds: 30 });
    } finally {
      await storage.close();
    }
  });

  it('answers a lease etcd no longer has with NotFound, and the others on the stream as usual', async () => {
    const storage = createEtcdStorage(etcd.endpoints);
    try {
      const [live, gone] = await Promise.all([storage.leases.grant(30), storage.leases.grant(30)]);
      await storage.leases.revoke(gone);
      const [a, b] = await Promise.allSettled([storage.leases.keepAlive(live), storage.leases.keepAlive(gone)]);
      expect(a.status).toBe('fulfilled');
      expect(b.status === 'rejected' && b.reason).toBeInstanceOf(NotFoundError);
    } finally {
      await storage.close();
    }
  });

  it('opens the stream again after etcd restarts', async () => {
    const storage = createEtcdStorage(etcd.endpoints);
    try {
      const id = await storage.leases.grant(60);
      await storage.leases.keepAlive(id);
      await etcd.restart();
      await eventually(
        () => storage.leases.keepAlive(id).then(() => true, () => false),
        20_000,
        'a keepalive answered after the restart',
      );
      expect(await storage.leases.timeToLive(id)).toMatchObject({ grantedSeconds: 60 });
    } finally {
      await storage.close();
    }
  });
});
