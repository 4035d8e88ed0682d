// -n/--namespace and -A/--all-namespaces across the verbs, against a real API server on a real etcd:
// each verb sees and changes only its namespace, -A lists every one with a NAMESPACE column, and a
// manifest's own namespace wins unless -n contradicts it (then nothing is written).
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Minion, Pod, ReplicationController } from '@coxswain/objects';
import { eventually } from '@coxswain/testing';
import { ClusterHarness, startClusterHarness, tableCells } from './testing/cluster-harness';

let h: ClusterHarness;
let scratch: string;
beforeAll(async () => {
  h = await startClusterHarness();
  // Objects go only into namespaces that exist (NamespaceLifecycle).
  for (const name of ['team-a', 'team-b', 'team-c', 'team-cfg', 'team-own', 'team-l', 'team-w', 'team-x', 'y']) await h.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kubecfg-ns-'));
}, 60_000);
afterAll(async () => {
  await h?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}, 30_000);

function podManifest(name: string, namespace?: string): string {
  const file = path.join(scratch, `${name}-${namespace ?? 'none'}.json`);
  const metadata = namespace ? { name, namespace, labels: { app: name } } : { name, labels: { app: name } };
  fs.writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata, spec: { containers: [{ name: 'c', image: 'busybox' }] } }));
  return file;
}

function rcManifest(name: string): string {
  const file = path.join(scratch, `rc-${name}.json`);
  const labels = { app: name };
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name },
      spec: { replicas: 1, selector: labels, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    }),
  );
  return file;
}

const exists = async (resource: 'pods' | 'replicationControllers', namespace: string, name: string) =>
  h.store.get(resource, namespace, name).then(
    () => true,
    () => false,
  );

describe('-n/--namespace and -A', () => {
  it('creates in -n team-a; get -n team-a shows it, get in default does not; -A shows both with NAMESPACE first', async () => {
    let r = await h.kubecfg(['-n', 'team-a', 'apply', '-f', podManifest('alpha')]);
    expect(r).toMatchObject({ code: 0, stdout: 'pod/alpha created\n' });
    expect((await h.store.get<Pod>('pods', 'team-a', 'alpha')).metadata.namespace).toBe('team-a');
    expect(await exists('pods', 'default', 'alpha')).toBe(false);
    r = await h.kubecfg(['apply', '-f', podManifest('beta')]);
    expect(r.code).toBe(0);

    r = await h.kubecfg(['get', 'pods', '-n', 'team-a']);
    expect(tableCells(r.stdout).map((row) => row[0])).toEqual(['NAME', 'alpha']);
    r = await h.kubecfg(['get', 'pods']);
    expect(tableCells(r.stdout).map((row) => row[0])).toEqual(['NAME', 'beta']);
    r = await h.kubecfg(['get', 'pods', '--namespace=team-b']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('No pods found in namespace team-b.\n');

    r = await h.kubecfg(['get', 'pods', '-A']);
    const rows = tableCells(r.stdout);
    expect(rows[0]).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(rows.slice(1).map((row) => [row[0], row[1]])).toEqual([
      ['default', 'beta'],
      ['team-a', 'alpha'],
    ]);
    r = await h.kubecfg(['get', 'pods', '--all-namespaces', '-o', 'name']);
    expect(r.stdout.split('\n').sort()).toEqual(['', 'pod/alpha', 'pod/beta']);
    // The seed's list gets a Namespace column too; its other columns stay the slides'.
    r = await h.kubecfg(['list', 'pods', '-A']);
    const seedRows = tableCells(r.stdout);
    expect(seedRows[0]).toEqual(['Namespace', 'ID', 'Image(s)', 'Host', 'Labels', 'Status']);
    expect(seedRows.slice(2).map((row) => [row[0], row[1]])).toEqual([
      ['default', 'beta'],
      ['team-a', 'alpha'],
    ]);
    r = await h.kubecfg(['list', 'pods', '-n', 'team-a']);
    expect(tableCells(r.stdout).slice(2).map((row) => row[0])).toEqual(['alpha']);
    // A name is only unique within a namespace.
    r = await h.kubecfg(['get', 'pods', 'alpha', '-A']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot be retrieved by name across all namespaces');
  });

  it('get -w -A prints changes from every namespace with the NAMESPACE column; get -w -n only its own', async () => {
    const abortAll = new AbortController();
    const abortOne = new AbortController();
    let all = '';
    let one = '';
    const watchAll = h.kubecfg(['get', 'pods', '-w', '-A', '-l', 'app=watched'], { signal: abortAll.signal, onStdout: (c) => (all += c) });
    const watchOne = h.kubecfg(['get', 'pods', '-w', '-n', 'team-w', '-l', 'app=watched'], { signal: abortOne.signal, onStdout: (c) => (one += c) });
    // Both watches start from their list's resourceVersion, so what is created after the tables is
    // theirs to print however long they take to connect.
    await eventually(() => all.includes('NAMESPACE') && one.includes('NAME'), 3000, 'both initial tables');
    // The last pod, in team-w again, bounds the "-n only its own" check: the -n watch prints changes
    // in revision order, so had it let w-team-v through, that row would come before w-team-w-last.
    for (const [ns, name] of [['team-w', 'w-team-w'], ['team-v', 'w-team-v'], ['team-w', 'w-team-w-last']]) {
      await h.store.create<Pod>({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: ns, labels: { app: 'watched' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      });
    }
    await eventually(() => all.includes('w-team-w-last') && one.includes('w-team-w-last'), 3000, 'both watches to print the last pod');
    abortAll.abort();
    abortOne.abort();
    const [ra, ro] = await Promise.all([watchAll, watchOne]);
    expect(ra.code).toBe(0);
    expect(ro.code).toBe(0);
    expect(tableCells(ra.stdout)[0]).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(ra.stdout).toMatch(/^team-w\s+w-team-w\s+0\/1\s+Pending/m);
    expect(ra.stdout).toMatch(/^team-v\s+w-team-v\s+0\/1\s+Pending/m);
    expect(tableCells(ro.stdout)[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(ro.stdout).toMatch(/^w-team-w\s/m);
    expect(ro.stdout).not.toContain('w-team-v');
  });

  it('get NAME, describe and the seed\'s get pods/ID read from -n only', async () => {
    let r = await h.kubecfg(['get', 'pods', 'alpha', '-n', 'team-a', '-o', 'json']);
    expect(JSON.parse(r.stdout).metadata).toMatchObject({ name: 'alpha', namespace: 'team-a' });
    r = await h.kubecfg(['get', 'pods', 'alpha']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error from server (NotFound)');
    r = await h.kubecfg(['-n', 'team-a', 'get', 'pods/alpha']);
    expect(tableCells(r.stdout)[2][0]).toBe('alpha');
    r = await h.kubecfg(['describe', 'pods', 'alpha', '-n', 'team-a']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Name:\s+alpha$/m);
    expect(r.stdout).toMatch(/^Namespace:\s+team-a$/m);
  });

  it('delete -n deletes in that namespace only', async () => {
    for (const ns of ['default', 'team-a']) expect((await h.kubecfg(['apply', '-n', ns, '-f', podManifest('twin')])).code).toBe(0);
    let r = await h.kubecfg(['delete', 'pods', 'twin', '-n', 'team-a']);
    expect(r).toMatchObject({ code: 0, stdout: 'pod/twin deleted\n' });
    expect(await exists('pods', 'team-a', 'twin')).toBe(false);
    expect(await exists('pods', 'default', 'twin')).toBe(true);
    // -l and the seed's delete pods/ID are scoped the same way.
    expect((await h.kubecfg(['apply', '-n', 'team-a', '-f', podManifest('twin')])).code).toBe(0);
    r = await h.kubecfg(['delete', 'pods', '-l', 'app=twin', '-n', 'team-a']);
    expect(r.stdout).toBe('pod/twin deleted\n');
    expect(await exists('pods', 'default', 'twin')).toBe(true);
    expect((await h.kubecfg(['apply', '-n', 'team-a', '-f', podManifest('twin')])).code).toBe(0);
    r = await h.kubecfg(['-n', 'team-a', 'delete', 'pods/twin']);
    expect(r.code).toBe(0);
    expect(await exists('pods', 'team-a', 'twin')).toBe(false);
    expect(await exists('pods', 'default', 'twin')).toBe(true);
  });

  it('scale, resize and edit -n change the controller in that namespace only', async () => {
    for (const ns of ['default', 'team-a']) expect((await h.kubecfg(['apply', '-n', ns, '-f', rcManifest('web')])).code).toBe(0);
    const replicas = async (ns: string) => (await h.store.get<ReplicationController>('replicationControllers', ns, 'web')).spec.replicas;
    let r = await h.kubecfg(['scale', 'rc', 'web', '--replicas', '4', '-n', 'team-a']);
    expect(r).toMatchObject({ code: 0, stdout: 'replicationcontroller/web scaled\n' });
    expect(await replicas('team-a')).toBe(4);
    expect(await replicas('default')).toBe(1);
    r = await h.kubecfg(['-n', 'team-a', 'resize', 'web', '2']);
    expect(r.code).toBe(0);
    expect(await replicas('team-a')).toBe(2);
    expect(await replicas('default')).toBe(1);
    const editor = path.join(scratch, 'editor.sh');
    fs.writeFileSync(editor, '#!/bin/sh\nsed -i "s/replicas: 2$/replicas: 3/" "$1"\n', { mode: 0o755 });
    r = await h.kubecfg(['edit', 'rc', 'web', '-n', 'team-a'], { env: { EDITOR: editor } });
    expect(r.code).toBe(0);
    expect(await replicas('team-a')).toBe(3);
    expect(await replicas('default')).toBe(1);
  });
});

describe('logs -n', () => {
  it('reads the log of the pod in that namespace', async () => {
    const requests: string[] = [];
    const kubelet = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`log of ${req.url?.split('/')[2]}\n`);
    });
    await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r));
    try {
      const port = (kubelet.address() as AddressInfo).port;
      const status = { kubeletEndpoint: `http://127.0.0.1:${port}` };
      await h.store.create<Minion>({ apiVersion: 'v1', kind: 'Minion', metadata: { name: 'ns-minion' }, spec: {}, status });
      await h.store.guaranteedUpdate<Minion>('minions', undefined, 'ns-minion', (m) => ({ ...m, status }), { subresource: 'status' });
      for (const ns of ['default', 'team-l']) {
        await h.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'logger', namespace: ns }, spec: { containers: [{ name: 'main', image: 'busybox' }] } });
        const pod = await h.store.get<Pod>('pods', ns, 'logger');
        await h.store.bind(ns, 'logger', 'ns-minion', pod.metadata.resourceVersion!);
      }
      let r = await h.kubecfg(['logs', 'logger', '-n', 'team-l']);
      expect(r).toMatchObject({ code: 0, stdout: 'log of team-l\n' });
      r = await h.kubecfg(['logs', 'logger']);
      expect(r).toMatchObject({ code: 0, stdout: 'log of default\n' });
      expect(requests.map((u) => u.split('?')[0])).toEqual(['/containerLogs/team-l/logger/main', '/containerLogs/default/logger/main']);
    } finally {
      kubelet.closeAllConnections();
      kubelet.close();
    }
  });
});

describe('a manifest\'s own namespace', () => {
  it('wins when -n is not given, and apply sends it there', async () => {
    const r = await h.kubecfg(['apply', '-f', podManifest('own', 'team-x')]);
    expect(r).toMatchObject({ code: 0, stdout: 'pod/own created\n' });
    expect(await exists('pods', 'team-x', 'own')).toBe(true);
    expect(await exists('pods', 'default', 'own')).toBe(false);
    // Applying it again finds it there (not created twice, not looked for in default).
    expect((await h.kubecfg(['apply', '-f', podManifest('own', 'team-x')])).stdout).toBe('pod/own unchanged\n');
    // -n naming the same namespace is fine.
    expect((await h.kubecfg(['apply', '-n', 'team-x', '-f', podManifest('own', 'team-x')])).stdout).toBe('pod/own unchanged\n');
  });

  it('contradicted by -n: apply fails naming both and writes nothing, not even the other objects', async () => {
    const dir = path.join(scratch, 'mixed');
    fs.mkdirSync(dir);
    fs.copyFileSync(podManifest('plain'), path.join(dir, 'a.json'));
    fs.copyFileSync(podManifest('elsewhere', 'x'), path.join(dir, 'b.json'));
    const r = await h.kubecfg(['apply', '-n', 'y', '-f', dir]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('the namespace from the provided object "x" does not match the namespace "y"');
    expect(r.stderr).toContain(path.join(dir, 'b.json'));
    for (const ns of ['x', 'y', 'default']) {
      expect(await exists('pods', ns, 'plain')).toBe(false);
      expect(await exists('pods', ns, 'elsewhere')).toBe(false);
    }
  });

  it('the seed\'s create -c reads v1beta1 "namespace", and -n contradicting it is refused', async () => {
    const seedPod = (namespace: string) => {
      const file = path.join(scratch, `seed-${namespace}.json`);
      fs.writeFileSync(
        file,
        JSON.stringify({
          id: 'seedling',
          kind: 'Pod',
          apiVersion: 'v1beta1',
          namespace,
          desiredState: { manifest: { version: 'v1beta1', id: 'seedling', containers: [{ name: 'c', image: 'busybox' }] } },
          labels: { name: 'seedling' },
        }),
      );
      return file;
    };
    let r = await h.kubecfg(['-n', 'team-b', '-c', seedPod('team-c'), 'create', 'pods']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"team-c" does not match the namespace "team-b"');
    expect(await exists('pods', 'team-b', 'seedling')).toBe(false);
    expect(await exists('pods', 'team-c', 'seedling')).toBe(false);
    r = await h.kubecfg(['-c', seedPod('team-c'), 'create', 'pods']);
    expect(r.code).toBe(0);
    expect(await exists('pods', 'team-c', 'seedling')).toBe(true);
    r = await h.kubecfg(['delete', '-f', seedPod('team-c'), '-n', 'default']);
    expect(r.code).toBe(1);
    expect(await exists('pods', 'team-c', 'seedling')).toBe(true);
    r = await h.kubecfg(['delete', '-f', seedPod('team-c')]);
    expect(r.code).toBe(0);
    expect(await exists('pods', 'team-c', 'seedling')).toBe(false);
  });
});

describe('the namespace from the config file', () => {
  it('is the default for every verb; -n overrides it; a manifest\'s own still wins without -n', async () => {
    const config = path.join(scratch, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ server: h.url, namespace: 'team-cfg' }));
    const env = { COXSWAIN_CONFIG: config, KUBE_SERVER: undefined };
    let r = await h.kubecfg(['apply', '-f', podManifest('cfg')], { env });
    expect(r.code).toBe(0);
    expect(await exists('pods', 'team-cfg', 'cfg')).toBe(true);
    r = await h.kubecfg(['get', 'pods', '-o', 'name'], { env });
    expect(r.stdout).toBe('pod/cfg\n');
    r = await h.kubecfg(['get', 'pods', '-o', 'name', '-n', 'team-a'], { env });
    expect(r.stdout).toBe('pod/alpha\n');
    // The config file's namespace is a default, not an order: no conflict with the manifest's.
    r = await h.kubecfg(['apply', '-f', podManifest('cfg2', 'team-own')], { env });
    expect(r.code).toBe(0);
    expect(await exists('pods', 'team-own', 'cfg2')).toBe(true);
  });

  it('an invalid -n is refused before any request (-n "" must not mean every namespace)', async () => {
    for (const bad of ['', 'Team_A']) {
      const r = await h.kubecfg(['get', 'pods', '-n', bad]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`invalid namespace "${bad}"`);
      expect(r.stdout).toBe('');
    }
  });
});
