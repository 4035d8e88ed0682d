// `coxswain up --etcd-servers URL --etcd-cafile CA --etcd-certfile CERT --etcd-keyfile KEY`: a control
// plane started by `up` on a user-run etcd that demands client certificates. No minions (so none of
// 127.0.1.N and no Docker); every component gets the same three files and comes up healthy.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SERVER_NODE_FLAGS } from '@coxswain/process';
import { startEtcd, type EtcdHarness } from '@coxswain/testing';
import { LocalCluster } from './local-cluster';

jest.setTimeout(120_000);

let etcd: EtcdHarness;
let tmp: string;
let cluster: LocalCluster | undefined;

beforeAll(async () => {
  etcd = await startEtcd({ tls: true });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'coxswain-up-tls-'));
});
afterAll(async () => {
  await cluster?.stop();
  await etcd?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

it("runs every control-plane component against a user-run TLS etcd with the three --etcd-* files, and writes through it", async () => {
  const files = etcd.tls!.issueClient('control-plane', 'system:coxswain:control-plane');
  cluster = new LocalCluster({
    minions: 0,
    port: 18680,
    etcdPort: 12879, // unused: the etcd is the user's
    healthzPortBase: 18651,
    dataDir: path.join(tmp, 'data'),
    cliConfigPath: path.join(tmp, 'config.json'),
    runtime: 'memory',
    etcdServers: etcd.endpoints,
    etcdTLS: files,
    env: { JEST_WORKER_ID: '', COXSWAIN_LOG_LEVEL: 'info' },
  });
  await cluster.start();

  const names = cluster.components.map((c) => c.spec.name);
  expect(names).toEqual(['apiserver', 'scheduler', 'replication', 'endpoints', 'minion-controller', 'deployments']);
  for (const c of cluster.components) {
    const args = c.spec.args;
    expect([c.spec.name, args[args.indexOf('--etcd-servers') + 1], args[args.indexOf('--etcd-cafile') + 1], args[args.indexOf('--etcd-certfile') + 1], args[args.indexOf('--etcd-keyfile') + 1]]).toEqual([
      c.spec.name, etcd.endpoints[0], files.caFile, files.certFile, files.keyFile,
    ]);
    // Each runs with the servers' node flags (node-flags.ts): its own command line says so.
    expect(readFileSync(`/proc/${c.pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining([...SERVER_NODE_FLAGS]));
  }
  const res = await fetch(`${cluster.apiUrl}/api/v1/namespaces/default/configmaps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-up' }, data: { a: 'b' } }),
  });
  expect(res.status).toBe(201);
  expect((await etcd.client().getAll().prefix('/').keys()).some((k) => k.endsWith('/default/via-up'))).toBe(true);
  // `up` made no certificates of its own for a user's etcd.
  expect(cluster.component('etcd')).toBeUndefined();
  expect(existsSync(path.join(tmp, 'data', 'pki'))).toBe(false);
});
