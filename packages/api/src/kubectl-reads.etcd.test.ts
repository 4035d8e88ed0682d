// The real kubectl (1.32, on the PATH) against the API server on a real etcd, for what it reads
// before and while it works: discovery, Tables, watch events, namespaces, and the objects its
// generators (`create <kind>`, `run`, `expose`) send — protobuf for some of them.
import { spawn } from 'node:child_process';
import { eventually, kubeconfigFor, kubectlRunner } from '@coxswain/testing';
import type { Minion, Pod } from '@coxswain/objects';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

let f: ApiFixture;
let kubeconfig: string;
let kubectl: (...args: string[]) => Promise<string>;

beforeAll(async () => {
  f = await startApiFixture({ portalNet: '10.0.0.0/24' });
  kubeconfig = kubeconfigFor(f.url);
  kubectl = kubectlRunner(kubeconfig);
}, 60_000);
afterAll(async () => f?.stop(), 30_000);

/** Rows of kubectl's table output, split on runs of two or more spaces. */
const rows = (out: string) => out.split('\n').map((l) => l.trim().split(/\s{2,}/));

it('api-resources lists every kind with its short name, group version and scope', async () => {
  const out = await kubectl('api-resources');
  expect(out).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
  expect(out).toMatch(/^replicationcontrollers\s+rc\s+v1\s+true\s+ReplicationController$/m);
  expect(out).toMatch(/^nodes\s+no\s+v1\s+false\s+Node$/m);
  expect(out).toMatch(/^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
  expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  expect(out).toMatch(/^horizontalpodautoscalers\s+hpa\s+autoscaling\/v1\s+true\s+HorizontalPodAutoscaler$/m);
  expect(await kubectl('version')).toMatch(/Server Version: v1\.32\.0\+coxswain/);
}, 60_000);

it('get prints the columns of the server\'s Table: pods (and -o wide), nodes', async () => {
  const minion: Minion = {
    apiVersion: 'v1',
    kind: 'Minion',
    metadata: { name: 'minion-7' },
    status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '127.0.1.7' }] },
  } as Minion;
  await f.store.create(minion);
  const pod = await f.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tabled', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  await f.store.bind('default', 'tabled', 'minion-7', pod.metadata.resourceVersion!);
  await f.store.guaranteedUpdate<Pod>('pods', 'default', 'tabled', (p) => ({
    ...p,
    status: { phase: 'Running', podIP: '172.30.7.4', containerStatuses: [{ name: 'c', ready: true, restartCount: 3, image: 'nginx', state: { running: {} } }] },
  }), { subresource: 'status' });

  expect(rows(await kubectl('get', 'pods'))).toEqual([
    ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    ['tabled', '1/1', 'Running', '3', expect.stringMatching(/^\d+s$/)],
  ]);
  expect(rows(await kubectl('get', 'pods', '-o', 'wide'))[1]).toEqual(['tabled', '1/1', 'Running', '3', expect.any(String), '172.30.7.4', 'minion-7', '<none>', '<none>']);
  expect(rows(await kubectl('get', 'nodes'))).toEqual([
    ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
    ['minion-7', 'Ready', '<none>', expect.stringMatching(/^\d+s$/)],
  ]);
  expect(await kubectl('get', 'node', 'minion-7', '-o', 'jsonpath={.kind} {.apiVersion}')).toBe('Node v1');
}, 60_000);

it('create namespace|deployment|service (protobuf bodies), run and expose make the objects kubectl means', async () => {
  expect(await kubectl('create', 'namespace', 'team')).toBe('namespace/team created');
  expect(await kubectl('-n', 'team', 'create', 'deployment', 'web', '--image=nginx', '--replicas=2', '--port=80')).toBe('deployment.apps/web created');
  const d = (await call(f.url, 'GET', '/apis/apps/v1/namespaces/team/deployments/web')).json;
  expect(d.spec).toMatchObject({ replicas: 2, selector: { matchLabels: { app: 'web' } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
  expect(d.spec.template.spec.containers[0]).toMatchObject({ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }] });
  expect(await kubectl('-n', 'team', 'create', 'service', 'clusterip', 'web', '--tcp=80:8080')).toBe('service/web created');
  expect(await kubectl('-n', 'team', 'run', 'solo', '--image=nginx', '--port=8080')).toBe('pod/solo created');
  expect(await kubectl('-n', 'team', 'expose', 'pod', 'solo', '--port=8080')).toBe('service/solo exposed');
  const svc = rows(await kubectl('-n', 'team', 'get', 'svc'));
  expect(svc[0]).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
  expect(svc.slice(1).map((r) => [r[0], r[1], r[2]!.startsWith('10.0.0.'), r[3], r[4]])).toEqual([
    ['solo', 'ClusterIP', true, '<none>', '8080/TCP'],
    ['web', 'ClusterIP', true, '<none>', '80/TCP'],
  ]);
  await expect(kubectl('-n', 'nowhere', 'run', 'x', '--image=nginx')).rejects.toThrow(/namespaces "nowhere" not found/);
  // ConfigMaps and Secrets, protobuf bodies too; get shows counts, never values.
  expect(await kubectl('-n', 'team', 'create', 'configmap', 'cfg', '--from-literal=mode=fast', '--from-literal=level=3')).toBe('configmap/cfg created');
  expect(await kubectl('-n', 'team', 'create', 'secret', 'generic', 'pw', '--from-literal=password=s3cret')).toBe('secret/pw created');
  expect((await call(f.url, 'GET', '/api/v1/namespaces/team/configmaps/cfg')).json.data).toEqual({ mode: 'fast', level: '3' });
  expect((await call(f.url, 'GET', '/api/v1/namespaces/team/secrets/pw')).json).toMatchObject({ type: 'Opaque', data: { password: Buffer.from('s3cret').toString('base64') } });
  expect(rows(await kubectl('-n', 'team', 'get', 'secret', 'pw'))[1]!.slice(0, 3)).toEqual(['pw', 'Opaque', '1']);
  expect(await kubectl('-n', 'team', 'get', 'cm', 'cfg')).not.toMatch(/fast/);
}, 60_000);

it('get -w follows changes for as long as it runs, with no decode error', async () => {
  const watcher = spawn('kubectl', ['--kubeconfig', kubeconfig, 'get', 'pods', '-w', '-n', 'default']);
  let stdout = '';
  let stderr = '';
  watcher.stdout.on('data', (d) => (stdout += d));
  watcher.stderr.on('data', (d) => (stderr += d));
  try {
    await eventually(() => /^tabled\s/m.test(stdout), 15_000, 'the pods listed');
    await f.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'watched', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    await f.store.guaranteedUpdate<Pod>('pods', 'default', 'watched', (p) => ({ ...p, status: { phase: 'Failed' } }), { subresource: 'status' });
    await eventually(() => /^watched\s+0\/1\s+Failed/m.test(stdout), 15_000, 'the status change printed');
    expect(stdout.match(/^NAME\s/gm)).toHaveLength(1);
  } finally {
    watcher.kill();
  }
  expect(stderr).not.toMatch(/unable to decode|error/i);
}, 60_000);

it('delete namespace marks it Terminating; nothing new goes into it; the system namespaces stay', async () => {
  expect(await kubectl('delete', 'namespace', 'team', '--wait=false')).toBe('namespace "team" deleted');
  expect(rows(await kubectl('get', 'namespace', 'team'))[1]!.slice(0, 2)).toEqual(['team', 'Terminating']);
  await expect(kubectl('-n', 'team', 'run', 'late', '--image=nginx')).rejects.toThrow(/unable to create new content in namespace team because it is being terminated/);
  await expect(kubectl('delete', 'namespace', 'default')).rejects.toThrow(/this namespace may not be deleted/);
  expect(rows(await kubectl('get', 'namespaces')).map((r) => r[0])).toEqual(expect.arrayContaining(['default', 'kube-public', 'kube-system', 'team']));
}, 60_000);

it('refuses a protobuf body it cannot read: 415 naming the kinds it decodes, 400 when malformed; nothing written', async () => {
  const before = await f.dump();
  const envelope = (kind: string, raw: Buffer) => {
    const typeMeta = Buffer.concat([Buffer.from([0x0a, 2]), Buffer.from('v1'), Buffer.from([0x12, kind.length]), Buffer.from(kind)]);
    return Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x0a, typeMeta.length]), typeMeta, Buffer.from([0x12, raw.length]), raw]);
  };
  const protobuf = { 'Content-Type': 'application/vnd.kubernetes.protobuf' };
  const unknownKind = await call(f.url, 'POST', '/api/v1/namespaces/default/pods', envelope('Pod', Buffer.alloc(0)), protobuf);
  expect(unknownKind.status).toBe(415);
  expect(unknownKind.json.message).toMatch(/decoded for Namespace, Service, Deployment.*kind "Pod" must be sent as JSON/);
  const truncated = await call(f.url, 'POST', '/api/v1/namespaces', envelope('Namespace', Buffer.from([0x0a, 0x10, 0x0a])), protobuf);
  expect(truncated.status).toBe(400);
  expect(truncated.json.message).toMatch(/malformed protobuf body/);
  expect((await call(f.url, 'POST', '/api/v1/namespaces', Buffer.from('not protobuf'), protobuf)).status).toBe(400);
  expect(await f.dump()).toEqual(before);
});
