// Join tokens against a real API server on etcd, as the operator of a second host meets them: the
// right token gets the join info (etcd servers, pod network, kubelet secret), a wrong one is refused
// with a message saying so, and a join token opens nothing but the join info.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runApiServer, type ApiServerHandle } from '@coxswain/api';
import { startEtcd, type EtcdHarness } from '@coxswain/testing';
import { fetchJoinInfo } from './join';

let etcd: EtcdHarness;
let api: ApiServerHandle;

beforeAll(async () => {
  etcd = await startEtcd();
  const dir = mkdtempSync(join(tmpdir(), 'join-'));
  writeFileSync(join(dir, 'tokens.csv'), 'admin-secret,admin\njoin-secret,system:bootstrap:join\n');
  writeFileSync(join(dir, 'kubelet-credential'), 'kubelet-secret-0123456789abcdef\n', { mode: 0o600 });
  api = await runApiServer({
    etcdServers: etcd.endpoints,
    port: 0,
    tokenFile: join(dir, 'tokens.csv'),
    clusterCidr: '10.88.0.0/16',
    kubeletCredentialFile: join(dir, 'kubelet-credential'),
    metricsResolutionMs: 0,
  });
}, 30_000);
afterAll(async () => {
  await api?.close();
  await etcd?.stop();
});

it('the join token buys the join info', async () => {
  const info = await fetchJoinInfo(api.url, 'join-secret');
  expect(info).toEqual({ etcdServers: etcd.endpoints, clusterCidr: '10.88.0.0/16', portalNet: '172.30.0.0/24', kubeletCredential: 'kubelet-secret-0123456789abcdef' });
});

it('a wrong token is refused, saying so', async () => {
  await expect(fetchJoinInfo(api.url, 'guess')).rejects.toThrow(`the API server at ${api.url} refused the join token (401): invalid bearer token`);
  // The admin's token is no join token either.
  await expect(fetchJoinInfo(api.url, 'admin-secret')).rejects.toThrow(/refused the join token \(403\)/);
});

it('a join token opens nothing else', async () => {
  const res = await fetch(`${api.url}/api/v1/pods`, { headers: { Authorization: 'Bearer join-secret' } });
  expect(res.status).toBe(403);
  expect(((await res.json()) as { message: string }).message).toBe('user "system:bootstrap:join" holds a join token: it may only GET /coxswain/v1/join');
  const admin = await fetch(`${api.url}/api/v1/pods`, { headers: { Authorization: 'Bearer admin-secret' } });
  expect(admin.status).toBe(200);
});
