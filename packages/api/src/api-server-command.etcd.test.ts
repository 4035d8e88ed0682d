// `coxswain apiserver` as the binary runs it: a real etcd, refusal to run unauthenticated on the
// network, and a SIGTERM that ends watches and stops the server (its flags: api-server-command.test.ts).
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
    await expect(runApiServer({ etcdServers: etcd.endpoints, address: '0.0.0.0', port: 0, handleSignals: false })).rejects.toThrow(
      /refusing to serve the API on non-loopback address 0\.0\.0\.0 without authentication: pass --token-file/,
    );
  });

  it('rejects an etcd server that is not a URL', async () => {
    await expect(runApiServer({ etcdServers: 'localhost:2379', port: 0, handleSignals: false })).rejects.toThrow(/"localhost:2379" is not an http\(s\) URL/);
  });

  it('serves on etcd and shuts down gracefully on SIGTERM', async () => {
    const handle = await runApiServer({ etcdServers: etcd.endpoints.join(','), address: '127.0.0.1', port: 0 });
    expect(handle.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${handle.url}/healthz`);
    expect(health.status).toBe(200);
    const watch = collectWs(handle.url.replace(/^http/, 'ws') + '/api/v1beta1/watch/pods');
    await watch.untilOpen();
    process.emit('SIGTERM');
    await handle.closed;
    await watch.untilClosed();
    expect(watch.closed).toBeDefined();
    await expect(fetch(`${handle.url}/healthz`)).rejects.toThrow();
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });
});
