// `coxswain apiserver` as the binary builds it: a real etcd, refusal of bad etcd URLs and of running
// unauthenticated on the network, and a close() that ends watches and stops the server. The signal
// that triggers close() in the binary is the process's shutdown path (process-signals.test).
import { startEtcd } from '@coxswain/testing';
import type { EtcdHarness } from '@coxswain/testing';
import { runApiServer } from './api-server-command';
import { collectWs } from './testing/wire';

describe('runApiServer', () => {
  let etcd: EtcdHarness;
  beforeAll(async () => {
    etcd = await startEtcd();
  }, 30_000);
  afterAll(() => etcd?.stop());

  it('refuses a non-loopback address without a token file, naming the fix', async () => {
    await expect(runApiServer({ etcdServers: etcd.endpoints, address: '0.0.0.0', port: 0 })).rejects.toThrow(
      /refusing to serve the API on non-loopback address 0\.0\.0\.0 without authentication: pass --token-file/,
    );
  });

  it('refuses etcd servers that are not URLs, or none, naming the flag', async () => {
    await expect(runApiServer({ etcdServers: 'localhost:2379', port: 0 })).rejects.toThrow('--etcd-servers: "localhost:2379" is not an http(s) URL');
    await expect(runApiServer({ etcdServers: ' , ', port: 0 })).rejects.toThrow('--etcd-servers: give at least one etcd client URL');
  });

  it('serves on etcd; close() ends watches and stops the server, with no signal handler of its own', async () => {
    const sigterm = process.listenerCount('SIGTERM');
    const handle = await runApiServer({ etcdServers: etcd.endpoints.join(','), address: '127.0.0.1', port: 0 });
    expect(process.listenerCount('SIGTERM')).toBe(sigterm);
    expect(handle.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${handle.url}/healthz`);
    expect(health.status).toBe(200);
    const watch = collectWs(handle.url.replace(/^http/, 'ws') + '/api/v1beta1/watch/pods');
    await watch.untilOpen();
    await handle.close();
    await watch.untilClosed();
    expect(watch.closed).toBeDefined();
    await expect(fetch(`${handle.url}/healthz`)).rejects.toThrow();
    await expect(handle.store.currentRevision()).rejects.toThrow('the store is closed');
  });
});
