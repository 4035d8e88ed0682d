// The real kubectl (1.32, on the PATH) through `coxswain up --minions 1` on Docker for the streaming
// pod subresources: logs (-f, --tail, --timestamps), exec (a command's output, its exit code, stdin,
// a tty driven by `script`), attach; and the kubelet's port refusing anyone without the credential.
// Until discovery lands (issue #19's other part), a stub in front answers /api, /api/v1 and /apis and
// forwards everything else, upgrades included; delete it then and point kubectl at the API server.
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import WebSocket from 'ws';
import type { ApiClient } from '@coxswain/client';
import type { Pod } from '@coxswain/objects';
import { eventually } from '@coxswain/testing';
import { startDockerCluster, type DockerCluster } from './support/docker-cluster';
import { IMAGES } from './support/images';

jest.setTimeout(120_000);

let env: DockerCluster | undefined;
let api: ApiClient;
let stub: http.Server | undefined;
let kubeconfig: string;

const KUBELET = 'http://127.0.1.1:10250';

/** /api, /api/v1 and /apis for pods; the rest, upgrades too, passes to the API server unchanged. */
function discoveryStub(apiUrl: string): http.Server {
  const target = new URL(apiUrl);
  const json = (out: http.ServerResponse, body: unknown) => out.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  const server = http.createServer((req, out) => {
    const p = (req.url ?? '').split('?')[0];
    const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
    if (p === '/api') return json(out, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (p === '/apis') return json(out, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    if (p === '/api/v1') {
      return json(out, {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs, shortNames: ['po'] }, ...['log', 'exec', 'attach'].map((s) => ({ name: `pods/${s}`, namespaced: true, kind: 'Pod', verbs: ['get'] }))],
      });
    }
    const fwd = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      out.writeHead(r.statusCode!, r.headers);
      r.pipe(out);
    });
    fwd.on('error', () => out.destroy());
    req.pipe(fwd);
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const up = net.connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
    up.on('close', () => socket.destroy());
    socket.on('close', () => up.destroy());
  });
  return server;
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], input?: string): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
    child.stdin?.end(input ?? '');
  });
}

const kubectl = (args: string[], input?: string) => run('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout=20s', ...args], input);

beforeAll(async () => {
  env = await startDockerCluster({ name: 'kubectl-streams', minions: 1, port: 18580, etcdPort: 12779, healthzPortBase: 18551 });
  api = env.api;
  stub = discoveryStub(env.cluster.apiUrl);
  await new Promise<void>((r) => stub!.listen(0, '127.0.0.1', () => r()));
  kubeconfig = path.join(env.tmp, 'kubeconfig');
  const port = (stub.address() as net.AddressInfo).port;
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\ncontexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]\nusers: [{name: u, user: {}}]\ncurrent-context: c\n`);
  const pod = (name: string, script: string, restartPolicy = 'Always'): Pod =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { restartPolicy, containers: [{ name: 'main', image: IMAGES.busybox, command: ['sh', '-c', script] }] } }) as Pod;
  await api.create('pods', pod('counter', 'i=0; while :; do echo "line $i"; i=$((i+1)); sleep 1; done'));
  await api.create('pods', pod('done', 'echo finished', 'Never'));
  await eventually(async () => (await api.get<Pod>('pods', 'counter', { namespace: 'default' })).status?.phase === 'Running', 60_000, 'counter Running', 250);
  await eventually(async () => (await api.get<Pod>('pods', 'done', { namespace: 'default' })).status?.phase === 'Succeeded', 60_000, 'done Succeeded', 250);
}, 5 * 60_000);

afterAll(async () => {
  stub?.close();
  if (env) expect(await env.stop()).toEqual({ containers: [], networks: [] });
});

it('kubectl exec prints the command output, propagates its exit code, carries stdin', async () => {
  expect(await kubectl(['exec', 'counter', '--', 'cat', '/etc/hostname'])).toEqual({ code: 0, stdout: 'counter\n', stderr: '' });
  const failed = await kubectl(['exec', 'counter', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  expect(failed).toMatchObject({ code: 3, stdout: 'out\n' });
  expect(failed.stderr).toContain('err\n');
  expect(await kubectl(['exec', '-i', 'counter', '--', 'sh', '-c', 'tr a-z A-Z'], 'piped through\n')).toEqual({ code: 0, stdout: 'PIPED THROUGH\n', stderr: '' });
});

it('kubectl exec -it runs with a terminal (driven by script) and propagates its exit code', async () => {
  const cmd = `kubectl --kubeconfig ${kubeconfig} exec -it counter -- sh -c 'tty; [ -t 0 ] && echo stdin-is-a-terminal; exit 7'`;
  const r = await run('script', ['-qec', cmd, '/dev/null']);
  expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
  expect(r.stdout).toContain('stdin-is-a-terminal');
  expect(r.code).toBe(7);
});

it('kubectl logs --tail, --timestamps and -f; kubectl attach streams the running output', async () => {
  const tail = await kubectl(['logs', 'counter', '--tail=1']);
  expect(tail.stdout).toMatch(/^line \d+\n$/);
  expect((await kubectl(['logs', 'counter', '--tail=1', '--timestamps'])).stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z line \d+\n$/);
  for (const args of [['logs', '-f', 'counter', '--tail=0'], ['attach', 'counter']]) {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    try {
      // New lines arrive while the command runs: two of them prove it follows.
      await eventually(() => (out.match(/^line \d+$/gm) ?? []).length >= 2, 15_000, `${args.join(' ')} streaming two lines`, 100);
    } finally {
      child.kill('SIGTERM');
    }
  }
});

/** A WebSocket upgrade's refusal: its HTTP status and body, or 101 if it was accepted. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], { headers });
    ws.on('open', () => {
      ws.terminate();
      resolve({ status: 101, body: '' });
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', () => undefined);
  });
}

it("the kubelet's port answers 401 without the cluster's credential, and serves it", async () => {
  const credential = readFileSync(path.join(env!.tmp, 'data', 'kubelet-credential'), 'utf8').trim();
  const ws = KUBELET.replace(/^http/, 'ws');
  for (const p of ['/containerLogs/default/counter/main', '/stats/summary', '/exec/default/counter/main?command=ls&stdout=true', '/attach/default/counter/main?stdout=true', '/portForward/default/counter?port=80']) {
    expect((await fetch(`${KUBELET}${p}`)).status).toBe(401);
    expect((await fetch(`${KUBELET}${p}`, { headers: { authorization: 'Bearer not-the-secret' } })).status).toBe(401);
  }
  expect((await upgrade(`${ws}/exec/default/counter/main?command=ls&stdout=true`)).status).toBe(401);
  expect((await upgrade(`${ws}/attach/default/counter/main?stdout=true`, { authorization: 'Bearer wrong' })).status).toBe(401);
  const auth = { authorization: `Bearer ${credential}` };
  expect((await fetch(`${KUBELET}/containerLogs/default/counter/main?tailLines=1`, { headers: auth })).status).toBe(200);
  expect((await fetch(`${KUBELET}/stats/summary`, { headers: auth })).status).toBe(200);
  expect((await upgrade(`${ws}/exec/default/counter/main?command=ls&stdout=true`, auth)).status).toBe(101);
});

it('exec that cannot run is a 4xx naming why: a missing container, a pod not running, no command', async () => {
  const base = env!.cluster.apiUrl.replace(/^http/, 'ws') + '/api/v1/namespaces/default/pods';
  const missing = await upgrade(`${base}/counter/exec?container=nope&command=ls&stdout=true`);
  expect(missing.status).toBe(400);
  expect(JSON.parse(missing.body)).toMatchObject({ kind: 'Status', code: 400, message: 'container "nope" is not in pod "counter": one of [main]', details: { causes: [{ field: 'container' }] } });
  const finished = await upgrade(`${base}/done/exec?command=ls&stdout=true`);
  expect(finished.status).toBe(400);
  expect(JSON.parse(finished.body).message).toBe('cannot exec into pod "done": it is not running (phase Succeeded)');
  const noCommand = await upgrade(`${base}/counter/exec?stdout=true`);
  expect(JSON.parse(noCommand.body)).toMatchObject({ code: 400, details: { causes: [{ field: 'command' }] } });
  expect((await upgrade(`${base}/ghost/exec?command=ls&stdout=true`)).status).toBe(404);
});
