// Join tokens against a real API server on etcd, as the operator of a second host meets them: the
// right token gets the join info (etcd servers, pod network, kubelet secret), a wrong one is refused
// with a message saying so, and a join token opens nothing but the join info.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runApiServer, type ApiServerHandle } from '@coxswain/api';
import { openRegistry } from '@coxswain/registry';
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
  const info = await fetchJoinInfo(api.url, 'join-secret', 'minion-2');
  expect(info).toEqual({ etcdServers: etcd.endpoints, clusterCidr: '10.88.0.0/16', portalNet: '172.30.0.0/24', kubeletCredential: 'kubelet-secret-0123456789abcdef' });
});

it('a wrong token is refused, saying so', async () => {
  await expect(fetchJoinInfo(api.url, 'guess', 'minion-2')).rejects.toThrow(`the API server at ${api.url} refused the join token (401): invalid bearer token`);
  // The admin's token is no join token either.
  await expect(fetchJoinInfo(api.url, 'admin-secret', 'minion-2')).rejects.toThrow(/refused the join token \(403\)/);
});

it('a join token opens nothing else', async () => {
  const res = await fetch(`${api.url}/api/v1/pods`, { headers: { Authorization: 'Bearer join-secret' } });
  expect(res.status).toBe(403);
  expect(((await res.json()) as { message: string }).message).toBe('user "system:bootstrap:join" holds a join token: it may only GET /coxswain/v1/join');
  const admin = await fetch(`${api.url}/api/v1/pods`, { headers: { Authorization: 'Bearer admin-secret' } });
  expect(admin.status).toBe(200);
});

describe('on an etcd that wants client certificates', () => {
  let tlsEtcd: EtcdHarness;
  let tlsApi: ApiServerHandle;
  let dir: string;

  beforeAll(async () => {
    tlsEtcd = await startEtcd({ tls: true });
    dir = mkdtempSync(join(tmpdir(), 'join-tls-'));
    writeFileSync(join(dir, 'tokens.csv'), 'join-secret,system:bootstrap:join\n');
    const own = tlsEtcd.tls!.client;
    tlsApi = await runApiServer({ etcdServers: tlsEtcd.endpoints, etcdTLS: own, port: 0, tokenFile: join(dir, 'tokens.csv'), metricsResolutionMs: 0, joinEtcdPkiDir: dirname(tlsEtcd.tls!.ca.certFile) });
  }, 30_000);
  afterAll(async () => {
    await tlsApi?.close();
    await tlsEtcd?.stop();
  });

  it("the join info carries the minion's own etcd client certificate, which etcd accepts", async () => {
    const info = await fetchJoinInfo(tlsApi.url, 'join-secret', 'minion-7');
    const pem = info.etcdTLS!;
    const file = (name: string, text: string) => (writeFileSync(join(dir, name), text, { mode: 0o600 }), join(dir, name));
    const tls = { caFile: file('ca.crt', pem.ca), certFile: file('client.crt', pem.cert), keyFile: file('client.key', pem.key) };
    expect(execFileSync('openssl', ['x509', '-noout', '-subject', '-in', tls.certFile], { encoding: 'utf8' })).toMatch(/CN ?= ?system:minion:minion-7/);
    const store = openRegistry(tlsEtcd.endpoints, { tls });
    try {
      await expect(store.list('minions')).resolves.toMatchObject({ items: [] });
    } finally {
      await store.close();
    }
    // Asked again (a re-join), the same certificate.
    expect((await fetchJoinInfo(tlsApi.url, 'join-secret', 'minion-7')).etcdTLS?.cert).toBe(pem.cert);
  });

  it('a join without a valid minion name is refused, naming the field', async () => {
    await expect(fetchJoinInfo(tlsApi.url, 'join-secret', '../ca')).rejects.toThrow(/answered 400 for \/coxswain\/v1\/join: minion: "\.\.\/ca" must consist of/);
  });
});
