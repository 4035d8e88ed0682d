// The real kubectl (1.32, on the PATH) through `coxswain up --minions 1` on Docker for the streaming
// pod subresources: logs (-f, --tail, --timestamps), exec (a command's output, its exit code, stdin,
// a tty driven by `script`), attach, port-forward (SPDY tunnelled in a WebSocket, to a pod, a
// service and a deployment); and the kubelet's port refusing anyone without the credential.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
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
let kubeconfig: string;

const KUBELET = 'http://127.0.1.1:10250';

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
  kubeconfig = path.join(env.tmp, 'kubeconfig');
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${env.cluster.apiUrl}"}}]\ncontexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]\nusers: [{name: u, user: {}}]\ncurrent-context: c\n`);
  const pod = (name: string, script: string, restartPolicy = 'Always'): Pod =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { restartPolicy, containers: [{ name: 'main', image: IMAGES.busybox, command: ['sh', '-c', script] }] } }) as Pod;
  await api.create('pods', pod('counter', 'i=0; while :; do echo "line $i"; i=$((i+1)); sleep 1; done'));
  await api.create('pods', pod('done', 'echo finished', 'Never'));
  // An echo server on 7000 and a web server on 8080 in one pod, a service in front of it, and a
  // deployment's pod serving the web page too.
  const servers = 'httpd -p 8080 -h /www; exec nc -ll -p 7000 -e cat';
  const manifests = [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'servers', labels: { app: 'servers' } }, spec: { containers: [{ name: 'main', image: IMAGES.busybox, command: ['sh', '-c', servers] }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'servers' }, ports: [{ port: 80, targetPort: 8080 }] } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'webdeploy' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'webdeploy' } }, template: { metadata: { labels: { app: 'webdeploy' } }, spec: { containers: [{ name: 'web', image: IMAGES.busybox, command: ['httpd', '-f', '-p', '8080', '-h', '/www'] }] } } },
      },
  ];
  const apply = await kubectl(['apply', '-f', '-'], manifests.map((m) => JSON.stringify(m)).join('\n'));
  expect(apply).toMatchObject({ code: 0, stderr: '' });
  await eventually(async () => (await api.get<Pod>('pods', 'counter', { namespace: 'default' })).status?.phase === 'Running', 60_000, 'counter Running', 250);
  await eventually(async () => (await api.get<Pod>('pods', 'done', { namespace: 'default' })).status?.phase === 'Succeeded', 60_000, 'done Succeeded', 250);
  await eventually(async () => (await kubectl(['wait', '--for=condition=Ready', 'pod', '-l', 'app in (servers,webdeploy)', '--timeout=5s'])).code === 0, 60_000, 'servers and webdeploy Ready', 500);
}, 5 * 60_000);

afterAll(async () => {
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

it('exec and port-forward that cannot run are a 4xx naming why: a missing container, a pod not running, no command', async () => {
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
  const forwardDone = await upgrade(`${base}/done/portforward?ports=80`);
  expect(forwardDone.status).toBe(400);
  expect(JSON.parse(forwardDone.body).message).toBe('cannot port-forward to pod "done": it is not running (phase Succeeded)');
});

/** A running `kubectl port-forward`: its local ports (in the order asked) and what it has printed. */
interface Forward {
  child: ChildProcess;
  ports: number[];
  /** The pod ports kubectl forwards to. */
  remotes: number[];
  output(): string;
  exited: Promise<number | null>;
}

/**
 * `transport`: kubectl 1.32 tunnels SPDY in a WebSocket unless told to use its older plain SPDY
 * upgrade. At -v=4 it says which it used.
 */
async function portForward(target: string, remotePorts: number[], transport: 'websocket' | 'spdy' = 'websocket'): Promise<Forward> {
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig, '-v=4', 'port-forward', '--address', '127.0.0.1', target, ...remotePorts.map((p) => `:${p}`)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KUBECTL_PORT_FORWARD_WEBSOCKETS: String(transport === 'websocket') },
  });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // One line per port, in the order asked: `Forwarding from 127.0.0.1:LOCAL -> REMOTE` (a service's
  // port already translated to the pod's).
  const forwarding = () => [...out.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)\n/g)].map((m) => ({ local: Number(m[1]), remote: Number(m[2]) }));
  await eventually(() => forwarding().length === remotePorts.length || child.exitCode !== null, 20_000, `port-forward ${target} listening`, 100);
  if (child.exitCode !== null) throw new Error(`kubectl port-forward ${target} exited ${child.exitCode}: ${out}`);
  return { child, ports: forwarding().map((f) => f.local), remotes: forwarding().map((f) => f.remote), output: () => out, exited };
}

/** Sends `data` down a new connection, half-closes it, and resolves with everything that came back. */
function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect(port, '127.0.0.1', () => sock.end(data));
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => resolve(Buffer.concat(chunks)));
    sock.on('error', reject);
  });
}

it.each(['websocket', 'spdy'] as const)('kubectl port-forward pod/NAME over %s: bytes round-trip, two connections at once, HTTP, and SIGINT ends it cleanly', async (transport) => {
  const fwd = await portForward('pod/servers', [7000, 8080], transport);
  try {
    const [echo, web] = fwd.ports;
    const big = randomBytes(256 * 1024);
    expect((await roundTrip(echo, big)).equals(big)).toBe(true);
    // Two connections open at the same time, each answered with its own bytes.
    const a = net.connect(echo, '127.0.0.1');
    const b = net.connect(echo, '127.0.0.1');
    const got = { a: '', b: '' };
    a.on('data', (c) => (got.a += c));
    b.on('data', (c) => (got.b += c));
    a.write('first from a\n');
    b.write('first from b\n');
    await eventually(() => got.a === 'first from a\n' && got.b === 'first from b\n', 10_000, 'both echoes', 50);
    a.write('second from a\n');
    await eventually(() => got.a === 'first from a\nsecond from a\n', 10_000, 'a second echo', 50);
    a.destroy();
    b.write('b still open\n');
    await eventually(() => got.b === 'first from b\nb still open\n', 10_000, 'b after a closed', 50);
    b.destroy();
    expect(await (await fetch(`http://127.0.0.1:${web}/index.html`)).text()).toBe('coxswain busybox\n');
    expect(fwd.output()).toContain(`Handling connection for ${echo}`);
    // -v=4 shows the dialer: client-go's tunnelling dialer logs the protocol it negotiated.
    if (transport === 'websocket') expect(fwd.output()).toContain('negotiated protocol: portforward.k8s.io');
    else expect(fwd.output()).not.toContain('WebSocket');
  } finally {
    fwd.child.kill('SIGINT');
  }
  expect(await fwd.exited).toBe(0);
});

it('kubectl port-forward svc/NAME and deployment/NAME reach a pod behind them', async () => {
  for (const [target, port] of [['svc/web', 80], ['deployment/webdeploy', 8080]] as const) {
    const fwd = await portForward(target, [port]);
    try {
      expect(fwd.remotes).toEqual([8080]);
      expect(await (await fetch(`http://127.0.0.1:${fwd.ports[0]}/index.html`)).text()).toBe('coxswain busybox\n');
    } finally {
      fwd.child.kill('SIGINT');
    }
    expect(await fwd.exited).toBe(0);
  }
});

it('kubectl port-forward to a closed port prints the reason, and kubectl 1.32 then ends the forward', async () => {
  const fwd = await portForward('pod/servers', [9999]);
  try {
    const back = await roundTrip(fwd.ports[0], Buffer.from('anyone there?'));
    expect(back.length).toBe(0);
    await eventually(() => /error forwarding port 9999 to pod default\/servers: connect ECONNREFUSED/.test(fwd.output()), 10_000, 'the reason printed', 100);
    // client-go closes the whole connection when an error stream carries a message, so the local
    // tunnel does not stay up (the kubelet's side would serve more requests: port-forward.test.ts).
    await eventually(() => fwd.child.exitCode !== null, 10_000, 'kubectl ending the port-forward itself', 100);
  } finally {
    if (fwd.child.exitCode === null) fwd.child.kill('SIGINT');
  }
  expect(await fwd.exited).toBe(1);
  expect(fwd.output()).toContain('error: lost connection to pod');
});
