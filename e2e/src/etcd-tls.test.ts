// `coxswain up` guards etcd with TLS and client certificates (issue #18, "credentials on etcd"): a
// whole cluster — etcd, the API server, every reconciler, a minion's kubelet and proxy, on the Docker
// engine — works end to end over https with one certificate per role, and etcd turns away whoever has
// no certificate from the cluster's CA (what the probe did: read and compact etcd with no credentials).
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { Etcd3 } from 'etcd3';
import type { ApiClient } from '@coxswain/client';
import type { Endpoints, Pod } from '@coxswain/objects';
import { ETCD_GOGC } from '@coxswain/process';
import { eventually } from '@coxswain/testing';
import { startDockerCluster, type DockerCluster } from './support/docker-cluster';
import { IMAGES } from './support/images';

jest.setTimeout(120_000);

let env: DockerCluster | undefined;
let api: ApiClient;
let pki: string;

beforeAll(async () => {
  env = await startDockerCluster({ name: 'etcd-tls', minions: 1, port: 18480, etcdPort: 12679, healthzPortBase: 18451 });
  api = env.api;
  pki = path.join(env.cluster.opts.dataDir, 'pki');
}, 5 * 60_000);

afterAll(async () => {
  if (env) expect(await env.stop()).toEqual({ containers: [], networks: [] });
});

/** The value of `--flag` on a component's command line. */
function flag(component: string, name: string): string {
  const args = env!.cluster.component(component)!.spec.args;
  return args[args.indexOf(name) + 1];
}

const subject = (certFile: string) => new X509Certificate(readFileSync(certFile)).subject;

it('etcd serves https only to client certificates, which every component presents, one per role', () => {
  expect(env!.cluster.etcdServers).toEqual(['https://127.0.0.1:12679']);
  const etcdArgs = env!.cluster.component('etcd')!.spec.args;
  expect(etcdArgs).toEqual(expect.arrayContaining(['--client-cert-auth', '--trusted-ca-file', path.join(pki, 'ca.crt')]));
  // Its Go collector tuned (process/etcd-env.ts): the running etcd's own environment says so.
  const etcdEnv = readFileSync(`/proc/${env!.cluster.component('etcd')!.pid}/environ`, 'utf8').split('\0');
  expect(etcdEnv).toContain(`GOGC=${process.env.GOGC ?? ETCD_GOGC}`);
  const roles: Array<[string, string]> = [
    ['apiserver', 'CN=system:coxswain:apiserver'],
    ['scheduler', 'CN=system:coxswain:scheduler'],
    ['replication', 'CN=system:coxswain:reconcilers'],
    ['endpoints', 'CN=system:coxswain:reconcilers'],
    ['minion-controller', 'CN=system:coxswain:reconcilers'],
    ['deployments', 'CN=system:coxswain:reconcilers'],
    ['kubelet-1', 'CN=system:minion:minion-1'],
    ['proxy-1', 'CN=system:minion:minion-1'],
  ];
  expect(roles.map(([c]) => [c, flag(c, '--etcd-servers'), flag(c, '--etcd-cafile'), subject(flag(c, '--etcd-certfile'))])).toEqual(
    roles.map(([c, cn]) => [c, 'https://127.0.0.1:12679', path.join(pki, 'ca.crt'), cn]),
  );
});

it('keeps the key material private: the pki directory 0700, every file in it 0600', () => {
  const modes: Record<string, string> = {};
  const walk = (dir: string) => {
    modes[path.relative(pki, dir) || '.'] = (statSync(dir).mode & 0o777).toString(8);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else modes[path.relative(pki, path.join(dir, e.name))] = (statSync(path.join(dir, e.name)).mode & 0o777).toString(8);
    }
  };
  walk(pki);
  expect(modes).toMatchObject({ '.': '700', clients: '700', 'ca.key': '600', 'ca.crt': '600', 'etcd-server.key': '600', 'clients/apiserver.key': '600', 'clients/minion.minion-1.key': '600' });
  expect(new Set(Object.values(modes))).toEqual(new Set(['700', '600']));
});

it('etcd refuses a client without a certificate, on gRPC and on its HTTP gateway', async () => {
  const url = env!.cluster.etcdServers[0];
  const noCert = new Etcd3({ hosts: [url], credentials: { rootCertificate: readFileSync(path.join(pki, 'ca.crt')) }, dialTimeout: 2000 });
  try {
    await expect(noCert.getAll().prefix('/').keys()).rejects.toThrow(/14 UNAVAILABLE: .*(certificate required|bad certificate)/);
  } finally {
    noCert.close();
  }
  const gateway = await new Promise<string>((resolve) => {
    const req = https.request(`${url}/v3/kv/compaction`, { method: 'POST', ca: readFileSync(path.join(pki, 'ca.crt')), timeout: 3000 }, (res) => resolve(`HTTP ${res.statusCode}`));
    req.on('error', (e) => resolve(`error: ${e.message}`));
    req.end(JSON.stringify({ revision: '1' }));
  });
  expect(gateway).toMatch(/^error: .*(certificate required|bad certificate)/);
});

it('every component works over TLS: a Deployment and an RC run on the minion, and the service lists their pods', async () => {
  const labels = { app: 'tls' };
  const template = { metadata: { labels }, spec: { containers: [{ name: 'main', image: IMAGES.busybox, command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done'] }] } };
  await api.create('replicationcontrollers', { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'tls-rc' }, spec: { replicas: 1, selector: labels, template } });
  const res = await fetch(`${env!.cluster.apiUrl}/apis/apps/v1/namespaces/default/deployments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'tls-deploy' }, spec: { replicas: 1, selector: { matchLabels: labels }, template } }),
  });
  expect(res.status).toBe(201);
  await api.create('services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'tls' }, spec: { selector: labels, ports: [{ port: 7070, targetPort: 7070 }] } });
  // The deployment controller, the replication manager, the scheduler and the kubelet each did their part.
  const pods = await eventually(
    async () => {
      const items = (await api.list<Pod>('pods')).items;
      return items.length === 2 && items.every((p) => p.status?.phase === 'Running' && p.spec?.nodeName === 'minion-1') && items;
    },
    90_000,
    'two pods Running on minion-1',
    250,
  );
  // The endpoints controller lists both.
  await eventually(
    async () => {
      const ep = await api.get<Endpoints>('endpoints', 'tls');
      return ep.subsets.flatMap((s) => s.addresses ?? []).length === 2;
    },
    30_000,
    'the service listing both pods',
    250,
  );
  expect(pods.map((p) => p.metadata.name).sort()).toEqual([expect.stringMatching(/^tls-deploy-/), expect.stringMatching(/^tls-rc-/)]);
});
