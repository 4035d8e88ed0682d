// The kubectl-style verbs against a real API server on a real etcd: get (tables, -o, -w), describe,
// scale, edit with a scripted $EDITOR (and a concurrent change -> 409), delete, logs, and errors.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import type { Event, Minion, Pod, ReplicationController } from '@coxswain/objects';
import { eventually } from '@coxswain/testing';
import { ClusterHarness, startClusterHarness, tableCells } from './testing/cluster-harness';

let h: ClusterHarness;
let scratch: string;
beforeAll(async () => {
  h = await startClusterHarness();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kubecfg-verbs-'));
  const r = await h.kubecfg(['apply', '-f', '.']);
  expect(r.code).toBe(0);
}, 60_000);
afterAll(async () => {
  await h?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}, 30_000);

const createPod = (name: string, app: string) =>
  h.store.create<Pod>({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app } },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
const replicasOf = async (name: string) => (await h.store.get<ReplicationController>('replicationControllers', 'default', name)).spec.replicas;

describe('get', () => {
  it('prints kubectl tables, -o name/json/yaml, and filters with -l', async () => {
    let r = await h.kubecfg(['get', 'rc']);
    const rows = tableCells(r.stdout);
    expect(rows[0]).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    expect(rows.slice(1).map((row) => [row[0], row[1]])).toEqual([
      ['frontendController', '3'],
      ['redisSlaveController', '2'],
    ]);
    r = await h.kubecfg(['get', 'replicationcontrollers', '-o', 'wide', '-l', 'name=frontend']);
    expect(tableCells(r.stdout)[1]).toEqual(['frontendController', '3', '0', '0', expect.stringMatching(/^\d+s$/), 'php-redis', 'brendanburns/php-redis', 'name=frontend']);
    r = await h.kubecfg(['get', 'services', '-o', 'name']);
    expect(r.stdout).toBe('service/redismaster\nservice/redisslave\n');
    r = await h.kubecfg(['get', 'po', 'redis-master-2', '-o', 'json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'redis-master-2' } });
    r = await h.kubecfg(['get', 'pod/redis-master-2', '-o', 'yaml']);
    expect(YAML.parse(r.stdout).spec.containers[0].image).toBe('dockerfile/redis');
    r = await h.kubecfg(['get', 'pods', '-l', 'name=nothing']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('No pods found in namespace default.\n');
  });

  it('-w prints a row for a change within 1 s of it', async () => {
    const abort = new AbortController();
    let seenAt = 0;
    let printed = '';
    const watching = h.kubecfg(['get', 'pods', '-w'], {
      signal: abort.signal,
      onStdout: (chunk) => {
        printed += chunk;
        if (chunk.startsWith('watched-pod') && !seenAt) seenAt = Date.now();
      },
    });
    // Wait for the initial table, then for the watch to be live (it prints a first change), so that
    // what is timed below is the delivery of a change, not the connection.
    await eventually(() => printed.includes('redis-master-2'), 2500, 'the initial table');
    await createPod('watch-probe', 'w');
    await eventually(() => /^watch-probe\s/m.test(printed), 5000, 'the watch to print a first change');
    const createdAt = Date.now();
    await createPod('watched-pod', 'w');
    await eventually(() => seenAt > 0, 2000, 'the row of watched-pod');
    abort.abort();
    const r = await watching;
    await h.store.delete('pods', 'default', 'watch-probe');
    expect(r.code).toBe(0);
    expect(seenAt - createdAt).toBeLessThan(1000);
    expect(tableCells(r.stdout)[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(r.stdout).toMatch(/^watched-pod\s+0\/1\s+Pending\s+0\s+\d+s$/m);
  });

  it('-w resumes after the API server restarts, without missing the change made while it was down', async () => {
    // A second API server on the same store, which this test stops and starts again on the same port.
    const { CODECS, createApiServer } = await import('@coxswain/api');
    let server = createApiServer({ store: h.store, codecs: CODECS, port: 0, heartbeatMs: 500, drainTimeoutMs: 500 });
    const url = await server.listen();
    const port = Number(new URL(url).port);
    const abort = new AbortController();
    let printed = '';
    const watching = h.kubecfg(['get', 'pods', '-w', '-l', 'app=resume'], {
      env: { KUBE_SERVER: url },
      signal: abort.signal,
      onStdout: (c) => (printed += c),
    });
    const printedRow = (name: string) => eventually(() => printed.includes(name), 10_000, `the row of ${name}`);
    // A pod created after the (empty) initial table can only be printed by the watch: once its row
    // is out, the watch is connected, and dropping the server drops it.
    await printedRow('NAME');
    await createPod('before-drop', 'resume');
    await printedRow('before-drop');
    await server.close();
    await createPod('while-down', 'resume');
    server = createApiServer({ store: h.store, codecs: CODECS, port, heartbeatMs: 500, drainTimeoutMs: 500 });
    await server.listen();
    await printedRow('while-down');
    abort.abort();
    const r = await watching;
    await server.close();
    expect(r.stderr).toContain('connection lost');
    expect(r.stdout.match(/^before-drop /gm)).toHaveLength(1);
  }, 30_000);
});

describe('describe', () => {
  it('shows spec, status, conditions and the object\'s own events', async () => {
    await h.store.guaranteedUpdate<Pod>('pods', 'default', 'redis-master-2', (p) => ({
      ...p,
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'no minion has port 6379 free' }] },
    }), { subresource: 'status' });
    const now = new Date().toISOString();
    const event = (name: string, involved: string, reason: string, message: string): Event => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: 'default' },
      involvedObject: { kind: 'Pod', name: involved, namespace: 'default' },
      reason,
      message,
      type: 'Warning',
      source: { component: 'scheduler' },
      count: 3,
      firstTimestamp: now,
      lastTimestamp: now,
    });
    await h.store.create(event('e1', 'redis-master-2', 'FailedScheduling', '0/2 minions available: 2 port 6379 in use'));
    await h.store.create(event('e2', 'someone-else', 'FailedScheduling', 'not about this pod'));
    const r = await h.kubecfg(['describe', 'pods', 'redis-master-2']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Name: +redis-master-2$/m);
    expect(r.stdout).toMatch(/^Labels: +name=redis-master$/m);
    expect(r.stdout).toMatch(/^Spec:\n {2}containers:\n/m);
    expect(r.stdout).toMatch(/PodScheduled +False +Unschedulable +no minion has port 6379 free/);
    expect(r.stdout).toMatch(/Warning +FailedScheduling +\d+s \(x3\) +scheduler +0\/2 minions available: 2 port 6379 in use/);
    expect(r.stdout).not.toContain('not about this pod');
    const rc = await h.kubecfg(['describe', 'rc', 'frontendController']);
    expect(rc.stdout).toMatch(/^Pods Status:\s+0 pods$/m);
    expect(rc.stdout).toMatch(/^Events:\s+<none>$/m);
  });
});

describe('quotas (v1 only)', () => {
  it('creates a quota from a YAML file, and get, list and describe show its usage', async () => {
    const file = path.join(scratch, 'quota.yaml');
    await h.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quota-cli' } });
    fs.writeFileSync(file, YAML.stringify({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'budget', namespace: 'quota-cli' }, spec: { hard: { pods: '5', services: '2' } } }));
    let r = await h.kubecfg(['apply', '-f', file]);
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    await h.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'quota-cli' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    r = await h.kubecfg(['get', 'quota', '-n', 'quota-cli']);
    expect(tableCells(r.stdout)[1]).toEqual(['budget', expect.any(String), 'pods: 1/5, services: 0/2']);
    for (const args of [['list', 'resourcequotas', '-n', 'quota-cli'], ['describe', 'quota', 'budget', '-n', 'quota-cli']]) {
      r = await h.kubecfg(args);
      expect({ args, code: r.code, err: r.stderr }).toEqual({ args, code: 0, err: '' });
      expect(r.stdout).toContain('budget');
    }
  });
});

describe('scale, resize and edit', () => {
  it('scale rc NAME --replicas N and resize change spec.replicas', async () => {
    let r = await h.kubecfg(['scale', 'rc', 'frontendController', '--replicas', '5']);
    expect(r.stdout).toBe('replicationcontroller/frontendController scaled\n');
    expect(await replicasOf('frontendController')).toBe(5);
    r = await h.kubecfg(['resize', 'frontendController', '1']);
    expect(r.code).toBe(0);
    expect(await replicasOf('frontendController')).toBe(1);
    r = await h.kubecfg(['scale', 'svc', 'redismaster', '--replicas', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('only replicationControllers (rc) and deployments scale');
  });

  it('patch applies a merge patch (JSON or YAML) in v1 terms, and refuses what it cannot send', async () => {
    let r = await h.kubecfg(['patch', 'rc', 'frontendController', '-p', '{"spec":{"replicas":2}}']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('replicationcontroller/frontendController patched\n');
    expect(await replicasOf('frontendController')).toBe(2);
    r = await h.kubecfg(['patch', 'pod/redis-master-2', '-p', 'metadata: {labels: {tier: cache}}']);
    expect(r.code).toBe(0);
    const labels = () => h.store.get<Pod>('pods', 'default', 'redis-master-2').then((p) => p.metadata.labels);
    expect(await labels()).toMatchObject({ name: 'redis-master', tier: 'cache' });
    r = await h.kubecfg(['patch', 'pods', 'redis-master-2', '--patch', '{"metadata":{"labels":{"tier":null}}}']);
    expect(r.code).toBe(0);
    expect(await labels()).not.toHaveProperty('tier');
    // Refused by the server: the field is named, nothing changes.
    r = await h.kubecfg(['patch', 'rc', 'frontendController', '-p', '{"spec":{"replicas":-1}}']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('spec.replicas');
    expect(await replicasOf('frontendController')).toBe(2);
    // Refused by kubecfg before anything is sent.
    for (const [args, message] of [
      [['patch', 'rc', 'frontendController'], 'needs -p PATCH'],
      [['patch', 'rc', 'frontendController', '-p', '[1]'], 'must be an object'],
      [['patch', 'rc', 'frontendController', '-p', '{"spec":'], 'not valid JSON or YAML'],
      [['patch', 'rc', 'frontendController', '--type', 'json', '-p', '{}'], '--type json is not supported'],
      [['patch', 'rc', '-p', '{}'], 'patch needs a name'],
    ] as const) {
      r = await h.kubecfg([...args]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
    }
  });

  it('edit with a scripted $EDITOR that sets replicas scales the controller', async () => {
    const script = path.join(scratch, 'set-replicas.js');
    fs.writeFileSync(script, `const fs = require('fs'); const f = process.argv[2];
fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/^  replicas: \\d+$/m, '  replicas: 4'));`);
    const r = await h.kubecfg(['edit', 'rc', 'redisSlaveController'], { env: { EDITOR: `node ${script}` } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('replicationcontroller/redisSlaveController edited\n');
    expect(await replicasOf('redisSlaveController')).toBe(4);
  });

  it('edit reports a concurrent change as a Conflict and does not overwrite it', async () => {
    // The "editor" changes the controller behind the user's back (through the API), then edits replicas.
    const script = path.join(scratch, 'race.js');
    fs.writeFileSync(script, `const fs = require('fs'); const f = process.argv[2];
(async () => {
  const url = process.env.KUBE_SERVER + '/api/v1/replicationControllers/redisSlaveController';
  const rc = await (await fetch(url)).json();
  rc.spec.replicas = 7;
  const res = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(rc) });
  if (!res.ok) process.exit(3);
  fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/^  replicas: \\d+$/m, '  replicas: 9'));
})();`);
    const r = await h.kubecfg(['edit', 'rc', 'redisSlaveController'], { env: { EDITOR: `node ${script}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error from server \(Conflict\): /);
    expect(r.stderr).toContain('your edit was NOT applied and is kept in');
    expect(await replicasOf('redisSlaveController')).toBe(7);
    const kept = /kept in (\S+yaml)/.exec(r.stderr)![1];
    expect(fs.readFileSync(kept, 'utf8')).toMatch(/^ {2}replicas: 9$/m);
    fs.rmSync(path.dirname(kept), { recursive: true, force: true });
  });

  it('edit is not refused when only the status changed meanwhile (a controller counting pods)', async () => {
    const script = path.join(scratch, 'status-race.js');
    fs.writeFileSync(script, `const fs = require('fs'); const f = process.argv[2];
(async () => {
  const url = process.env.KUBE_SERVER + '/api/v1/replicationControllers/redisSlaveController';
  const rc = await (await fetch(url)).json();
  rc.status = { replicas: 3, readyReplicas: 1, observedGeneration: rc.metadata.generation };
  const res = await fetch(url + '/status', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(rc) });
  if (!res.ok) process.exit(3);
  fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/^  replicas: \\d+$/m, '  replicas: 6'));
})();`);
    const r = await h.kubecfg(['edit', 'rc', 'redisSlaveController'], { env: { EDITOR: `node ${script}` } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rc = await h.store.get<ReplicationController>('replicationControllers', 'default', 'redisSlaveController');
    expect(rc.spec.replicas).toBe(6);
    expect(rc.status?.readyReplicas).toBe(1);
  });

  it('an editor that saves nothing new cancels the edit', async () => {
    const r = await h.kubecfg(['edit', 'svc', 'redismaster'], { env: { EDITOR: 'true' } });
    expect(r.stdout).toBe('Edit cancelled, no changes made.\n');
  });
});

describe('delete', () => {
  it('deletes by name, by selector and by file', async () => {
    let r = await h.kubecfg(['delete', 'pods', 'watched-pod']);
    expect(r.stdout).toBe('pod/watched-pod deleted\n');
    r = await h.kubecfg(['delete', 'pods', '-l', 'app=resume']);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['pod/before-drop deleted', 'pod/while-down deleted']);
    r = await h.kubecfg(['delete', '-f', 'redis-slave-service.json']);
    expect(r.stdout).toBe('service/redisslave deleted\n');
    r = await h.kubecfg(['get', 'svc', 'redisslave']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error from server \(NotFound\): /);
  });
});

describe('logs', () => {
  it('streams a container log through the API server from the minion\'s kubelet, with --tail', async () => {
    const requests: string[] = [];
    const kubelet = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      if (!/follow=true/.test(req.url ?? '')) {
        res.end('line 1\nline 2\n');
        return;
      }
      // A followed log: a line now, another later, and the stream stays open.
      res.write('tick 1\n');
      const t = setTimeout(() => res.write('tick 2\n'), 300);
      res.on('close', () => clearTimeout(t));
    });
    await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r));
    try {
      const port = (kubelet.address() as AddressInfo).port;
      await h.store.create<Minion>({
        apiVersion: 'v1',
        kind: 'Minion',
        metadata: { name: 'log-minion' },
        spec: {},
        status: { kubeletEndpoint: `http://127.0.0.1:${port}` },
      });
      // Status is written separately from spec; make sure the endpoint is there.
      await h.store.guaranteedUpdate<Minion>('minions', undefined, 'log-minion', (m) => ({ ...m, status: { kubeletEndpoint: `http://127.0.0.1:${port}` } }), { subresource: 'status' });
      await h.store.create<Pod>({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'logger', namespace: 'default' },
        spec: { containers: [{ name: 'main', image: 'busybox' }] },
      });
      const pod = await h.store.get<Pod>('pods', 'default', 'logger');
      await h.store.bind('default', 'logger', 'log-minion', pod.metadata.resourceVersion!);
      const r = await h.kubecfg(['logs', 'logger', '--tail', '2']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('line 1\nline 2\n');
      // The API server forwards the kubelet the parameter by its v1 name (tailLines; kubecfg says --tail).
      expect(requests[0]).toMatch(/^\/containerLogs\/default\/logger\/main\?.*tailLines=2/);
      // -f keeps printing as the log grows, until interrupted.
      const abort = new AbortController();
      let followed = '';
      const following = h.kubecfg(['logs', 'logger', '-f'], { signal: abort.signal, onStdout: (c) => (followed += c) });
      await eventually(() => followed.includes('tick 2'), 5000, 'two followed log lines');
      abort.abort();
      const f = await following;
      expect(f.code).toBe(0);
      expect(f.stdout).toMatch(/^tick 1\ntick 2\n/);
      expect(requests.some((u) => /follow=true/.test(u))).toBe(true);
      const bad = await h.kubecfg(['logs', 'logger', '-c', 'nope']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^Error from server \(BadRequest\): container "nope"/);
    } finally {
      kubelet.closeAllConnections();
      kubelet.close();
    }
  });
});
