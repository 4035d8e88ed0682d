// Stock kubectl (1.32, on the PATH of every machine of this project; the suite fails without it)
// through a user's session on `coxswain up` with 2 minions on the Docker engine: discovery, apply of
// a directory of v1 YAML (twice, then changed), scale, get with kubectl's columns, a watch held across
// the session, describe, wait, run and expose, label/annotate/patch/edit, namespaces, delete.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ApiClient } from '@coxswain/client';
import type { Pod } from '@coxswain/objects';
import { eventually, kubeconfigFor, kubectlRunner } from '@coxswain/testing';
import { startDockerCluster, type DockerCluster } from './support/docker-cluster';
import { IMAGES } from './support/images';

jest.setTimeout(180_000);

let env: DockerCluster | undefined;
let api: ApiClient;
let kubeconfig: string;
let kubectl: (...args: string[]) => Promise<string>;
let manifests: string;
let watcher: ChildProcess | undefined;
let watchOut = '';
let watchStarted = 0;
let watchErr = '';

beforeAll(async () => {
  env = await startDockerCluster({ name: 'kubectl', minions: 2, port: 18480, etcdPort: 12679, healthzPortBase: 18451 });
  api = env.api;
  kubeconfig = kubeconfigFor(env.cluster.apiUrl);
  kubectl = kubectlRunner(kubeconfig);
  manifests = mkdtempSync(path.join(os.tmpdir(), 'kubectl-e2e-'));
}, 5 * 60_000);

afterAll(async () => {
  watcher?.kill();
  if (manifests) rmSync(manifests, { recursive: true, force: true });
  if (env) expect(await env.stop()).toEqual({ containers: [], networks: [] });
});

const rows = (out: string) => out.split('\n').map((l) => l.trim().split(/\s{2,}/));

/** Pods of a label, Running and ready, as the API says. */
async function readyPods(selector: string, namespace = 'default'): Promise<Pod[]> {
  const pods = (await api.list<Pod>('pods', { namespace, labelSelector: selector })).items;
  return pods.filter((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready));
}

function writeManifests(replicas: number): void {
  const container = `      containers:\n      - name: main\n        image: ${IMAGES.busybox}\n        command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]\n`;
  writeFileSync(
    path.join(manifests, 'rc.yaml'),
    `apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: web\nspec:\n  replicas: ${replicas}\n  selector:\n    app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n${container}`,
  );
  writeFileSync(path.join(manifests, 'service.yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n    targetPort: 8080\n');
  writeFileSync(
    path.join(manifests, 'pod.yaml'),
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: solo\n  labels:\n    app: solo\nspec:\n${container.replace(/^ {2}/gm, '')}`,
  );
}

it('api-resources: the kinds kubectl will use', async () => {
  const out = await kubectl('api-resources');
  for (const line of [/^pods\s+po\s+v1\s+true\s+Pod$/m, /^nodes\s+no\s+v1\s+false\s+Node$/m, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m]) expect(out).toMatch(line);
  const explained = await kubectl('explain', 'pod.spec.containers');
  expect(explained).toMatch(/^FIELD: containers <\[\]Object>$/m);
  for (const field of ['image', 'ports', 'resources', 'livenessProbe']) expect(explained).toMatch(new RegExp(`^  ${field}\\s`, 'm'));
  // From here on a watch runs for the whole session: every change it prints must decode.
  watcher = spawn('kubectl', ['--kubeconfig', kubeconfig, 'get', 'pods', '-w', '-l', 'app=web']);
  watchStarted = Date.now();
  watcher.stdout!.on('data', (d) => (watchOut += d));
  watcher.stderr!.on('data', (d) => (watchErr += d));
});

it('apply -f a directory twice (the second unchanged), then with more replicas: the pods follow', async () => {
  writeManifests(2);
  expect((await kubectl('apply', '-f', manifests)).split('\n').sort()).toEqual(['pod/solo created', 'replicationcontroller/web created', 'service/web created']);
  expect((await kubectl('apply', '-f', manifests)).split('\n').sort()).toEqual(['pod/solo unchanged', 'replicationcontroller/web unchanged', 'service/web unchanged']);
  await eventually(async () => (await readyPods('app=web')).length === 2, 90_000, '2 web pods ready', 500);
  writeManifests(3);
  expect((await kubectl('apply', '-f', manifests)).split('\n').sort()).toEqual(['pod/solo unchanged', 'replicationcontroller/web configured', 'service/web unchanged']);
  await eventually(async () => (await readyPods('app=web')).length === 3, 60_000, '3 web pods ready', 500);
});

it('scale rc; get pods shows READY/STATUS/RESTARTS, and IP and NODE with -o wide', async () => {
  expect(await kubectl('scale', 'rc', 'web', '--replicas=4')).toBe('replicationcontroller/web scaled');
  await eventually(async () => (await readyPods('app=web')).length === 4, 60_000, '4 web pods ready', 500);
  const table = rows(await kubectl('get', 'pods', '-l', 'app=web'));
  expect(table[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  expect(table.slice(1).map((r) => r.slice(1, 4))).toEqual(Array(4).fill(['1/1', 'Running', '0']));
  const wide = rows(await kubectl('get', 'pods', '-l', 'app=web', '-o', 'wide'));
  expect(wide[0]!.slice(5, 7)).toEqual(['IP', 'NODE']);
  const pods = await readyPods('app=web');
  for (const r of wide.slice(1)) {
    const p = pods.find((x) => x.metadata.name === r[0])!;
    expect([r[5], r[6]]).toEqual([p.status!.podIP, p.spec.nodeName]);
  }
  const nodes = rows(await kubectl('get', 'nodes'));
  expect(nodes[0]).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
  expect(nodes.slice(1).map((r) => r[1])).toEqual(['Ready', 'Ready']);
  expect(await kubectl('scale', 'rc', 'web', '--replicas=2')).toBe('replicationcontroller/web scaled');
  await eventually(async () => (await api.list<Pod>('pods', { labelSelector: 'app=web' })).items.length === 2, 60_000, 'back to 2 web pods', 500);
});

it('wait --for=condition=Ready; describe pod, rc, svc and node, with events', async () => {
  expect(await kubectl('wait', '--for=condition=Ready', 'pod/solo', '--timeout=60s')).toBe('pod/solo condition met');
  const pod = await kubectl('describe', 'pod', 'solo');
  expect(pod).toMatch(/^Name:\s+solo$/m);
  expect(pod).toMatch(/^Status:\s+Running$/m);
  expect(pod).toMatch(/^Node:\s+minion-\d/m);
  expect(pod).toMatch(/^Events:/m);
  const rc = await kubectl('describe', 'rc', 'web');
  expect(rc).toMatch(/^Replicas:\s+2 current \/ 2 desired$/m);
  expect(rc).toMatch(/SuccessfulCreate/);
  const svc = await kubectl('describe', 'svc', 'web');
  expect(svc).toMatch(/^Type:\s+ClusterIP$/m);
  expect(svc).toMatch(/^IP:\s+\d+\.\d+\.\d+\.\d+$/m);
  expect(svc).toMatch(/^Endpoints:\s+\d+\.\d+\.\d+\.\d+:8080,\d+\.\d+\.\d+\.\d+:8080$/m);
  const node = await kubectl('describe', 'node', 'minion-1');
  expect(node).toMatch(/^Name:\s+minion-1$/m);
  expect(node).toMatch(/Ready\s+True/);
});

it('label, annotate, patch (strategic, merge, json) and edit with a scripted editor change what they say', async () => {
  expect(await kubectl('label', 'pod', 'solo', 'tier=front')).toBe('pod/solo labeled');
  expect(await kubectl('annotate', 'pod', 'solo', 'note=hello')).toBe('pod/solo annotated');
  expect(await kubectl('patch', 'rc', 'web', '-p', '{"metadata":{"labels":{"strategic":"yes"}}}')).toBe('replicationcontroller/web patched');
  expect(await kubectl('patch', 'rc', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"merge":"yes"}}}')).toBe('replicationcontroller/web patched');
  expect(await kubectl('patch', 'rc', 'web', '--type=json', '-p', '[{"op":"add","path":"/metadata/labels/json","value":"yes"}]')).toBe('replicationcontroller/web patched');
  const editor = path.join(manifests, 'editor.sh');
  writeFileSync(editor, '#!/bin/sh\nsed -i "s/^  replicas: 2$/  replicas: 1/" "$1"\n', { mode: 0o755 });
  const edited = await new Promise<string>((resolve, reject) => {
    const p = spawn('kubectl', ['--kubeconfig', kubeconfig, 'edit', 'rc', 'web'], { env: { ...process.env, KUBE_EDITOR: editor } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(err))));
  });
  expect(edited).toBe('replicationcontroller/web edited');
  const rc = JSON.parse(await kubectl('get', 'rc', 'web', '-o', 'json'));
  expect(rc.spec.replicas).toBe(1);
  expect(rc.metadata.labels).toMatchObject({ strategic: 'yes', merge: 'yes', json: 'yes' });
  expect(JSON.parse(await kubectl('get', 'pod', 'solo', '-o', 'json')).metadata).toMatchObject({ labels: { tier: 'front' }, annotations: { note: 'hello' } });
  await eventually(async () => (await api.list<Pod>('pods', { labelSelector: 'app=web' })).items.length === 1, 60_000, '1 web pod', 500);
});

it('get -w held for 30 s across the scales printed every change and never failed to decode', async () => {
  // It has run since the first test, across 2 -> 3 -> 4 -> 2 -> 1; one more scale, then it is held
  // open to 30 s (the window: three of the API server's 10 s heartbeats).
  expect(await kubectl('scale', 'rc', 'web', '--replicas=2')).toBe('replicationcontroller/web scaled');
  await eventually(async () => (await readyPods('app=web')).length === 2, 60_000, '2 web pods ready', 500);
  await eventually(() => Date.now() - watchStarted >= 30_000, 40_000, 'the watch open for 30 s', 500);
  expect(watchOut.match(/^NAME\s/gm)).toHaveLength(1);
  expect(watchOut).toMatch(/^web-\S+\s+1\/1\s+Running\s+0\s/m);
  expect(new Set(watchOut.match(/^web-[a-z0-9]+/gm)).size).toBeGreaterThanOrEqual(5);
  expect(watchErr).not.toMatch(/unable to decode|error/i);
  expect(watcher!.exitCode).toBeNull();
});

it('run and expose; --dry-run=server changes nothing', async () => {
  expect(await kubectl('run', 'hello', `--image=${IMAGES.busybox}`, '--port=8080', '--', 'sh', '-c', "trap 'exit 0' TERM; while :; do sleep 1; done")).toBe('pod/hello created');
  expect(await kubectl('wait', '--for=condition=Ready', 'pod/hello', '--timeout=60s')).toBe('pod/hello condition met');
  expect(await kubectl('expose', 'pod', 'hello', '--port=80', '--target-port=8080')).toBe('service/hello exposed');
  const svc = JSON.parse(await kubectl('get', 'svc', 'hello', '-o', 'json'));
  expect(svc.spec).toMatchObject({ type: 'ClusterIP', selector: { run: 'hello' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] });
  expect(await kubectl('run', 'ghost', `--image=${IMAGES.busybox}`, '--dry-run=server')).toBe('pod/ghost created (server dry run)');
  await expect(kubectl('get', 'pod', 'ghost')).rejects.toThrow(/NotFound/);
});

it('a Deployment: create, rollout status, set env (a new rollout), rollout status again', async () => {
  expect(await kubectl('create', 'deployment', 'roll', `--image=${IMAGES.busybox}`, '--replicas=2', '--', 'sh', '-c', "trap 'exit 0' TERM; while :; do sleep 1; done")).toBe('deployment.apps/roll created');
  expect(await kubectl('rollout', 'status', 'deployment/roll', '--timeout=90s')).toMatch(/deployment "roll" successfully rolled out$/);
  expect(await kubectl('set', 'env', 'deployment/roll', 'REVISION=2')).toBe('deployment.apps/roll env updated');
  expect(await kubectl('rollout', 'status', 'deployment/roll', '--timeout=90s')).toMatch(/deployment "roll" successfully rolled out$/);
  const pods = (await api.list<Pod>('pods', { namespace: 'default', labelSelector: 'app=roll' })).items.filter((p) => p.status?.phase === 'Running');
  expect(pods).toHaveLength(2);
  for (const p of pods) expect(p.spec.containers[0]!.env).toEqual([{ name: 'REVISION', value: '2' }]);
  expect(rows(await kubectl('get', 'deployment', 'roll'))[1]!.slice(0, 4)).toEqual(['roll', '2/2', '2', '2']);
  expect(await kubectl('delete', 'deployment', 'roll', '--timeout=60s')).toBe('deployment.apps "roll" deleted');
});

it('create namespace, apply -n into it, delete namespace removes its objects and their containers', async () => {
  expect(await kubectl('create', 'namespace', 'team')).toBe('namespace/team created');
  writeManifests(2);
  expect((await kubectl('-n', 'team', 'apply', '-f', path.join(manifests, 'rc.yaml'))).trim()).toBe('replicationcontroller/web created');
  await eventually(async () => (await readyPods('app=web', 'team')).length === 2, 90_000, '2 web pods ready in team', 500);
  expect(await kubectl('delete', 'namespace', 'team', '--timeout=90s')).toBe('namespace "team" deleted');
  await expect(kubectl('get', 'namespace', 'team')).rejects.toThrow(/NotFound/);
  expect((await api.list('pods', { namespace: 'team' })).items).toEqual([]);
});

it('delete waits for the object to be gone', async () => {
  expect(await kubectl('delete', 'pod', 'hello', '--timeout=60s')).toBe('pod "hello" deleted');
  await expect(kubectl('get', 'pod', 'hello')).rejects.toThrow(/NotFound/);
  expect(await kubectl('delete', '-f', manifests, '--timeout=90s')).toMatch(/replicationcontroller "web" deleted/);
});
