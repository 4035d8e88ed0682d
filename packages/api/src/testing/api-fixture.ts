// A real API server on a real etcd for tests: etcd from the harness, the etcd-backed store, the
// server on 127.0.0.1 port 0, a client, and a raw etcd client to look behind the API's back.
import type { Etcd3 } from 'etcd3';
import { openRegistry } from '@coxswain/registry';
import { startEtcd } from '@coxswain/testing';
import type { EtcdHarness } from '@coxswain/testing';
import type { ObjectStore } from '@coxswain/objects';
import { CODECS } from '../codecs';
import { ApiClient } from '@coxswain/client';
import { ApiServer, ApiServerOptions, createApiServer } from '../server';

export interface ApiFixture {
  etcd: EtcdHarness;
  etcdClient: Etcd3;
  store: ObjectStore;
  server: ApiServer;
  url: string;
  client: ApiClient;
  /** Every key, value, mod revision and the header revision: equal dumps mean nothing was written. */
  dump(): Promise<{ revision: string; kvs: { key: string; value: string; modRevision: string }[] }>;
  stop(): Promise<void>;
}

/** `portalNet`: services get portal IPs from it (the API server's --portal-net). */
export async function startApiFixture(opts: Partial<Omit<ApiServerOptions, 'store'>> & { portalNet?: string } = {}): Promise<ApiFixture> {
  const etcd = await startEtcd();
  const { portalNet, ...serverOpts } = opts;
  const store = openRegistry(etcd.endpoints, { portalNet, watchCache: {} });
  let server: ApiServer;
  try {
    server = createApiServer({ store, codecs: CODECS, address: '127.0.0.1', port: 0, heartbeatMs: 1000, drainTimeoutMs: 2000, ...serverOpts });
    await server.listen();
    await server.ready(); // the system namespaces are written before a test takes a dump
  } catch (e) {
    await store.close();
    await etcd.stop();
    throw e;
  }
  const etcdClient = etcd.client();
  return {
    etcd,
    etcdClient,
    store,
    server,
    url: server.url,
    client: new ApiClient({ server: server.url }),
    async dump() {
      const res = await etcdClient.kv.range({ key: Buffer.from([0]), range_end: Buffer.from([0]) });
      return {
        revision: res.header.revision,
        kvs: res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString(), modRevision: kv.mod_revision })),
      };
    },
    async stop() {
      await server.close();
      await store.close();
      await etcd.stop();
    },
  };
}
