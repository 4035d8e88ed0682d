// The seed talk's session, verbatim, against a real API server on a real etcd.
import type { Pod } from '@coxswain/objects';
import { ClusterHarness, startClusterHarness, tableCells } from './testing/cluster-harness';
import { parsePortSpec, runController } from './seed-commands';

let h: ClusterHarness;
beforeAll(async () => {
  h = await startClusterHarness();
}, 60_000);
afterAll(() => h?.stop(), 30_000);

const SEP = ['----------', '----------', '----------', '----------', '----------'];

describe('the seed guestbook session (examples/seed-guestbook/README.md)', () => {
  it('prints the slides\' tables at every step', async () => {
    // Step 1: kubecfg -c redis-master.json create pods
    let r = await h.kubecfg(['-c', 'redis-master.json', 'create', 'pods']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(tableCells(r.stdout)).toEqual([
      ['ID', 'Image(s)', 'Host', 'Labels', 'Status'],
      SEP,
      ['redis-master-2', 'dockerfile/redis', '/', 'name=redis-master', 'Waiting'],
    ]);
    // The exact line of the slide, with the seed's 20-column tabwriter padding.
    expect(r.stdout.split('\n')[2]).toBe('redis-master-2      dockerfile/redis    /                   name=redis-master   Waiting');

    // kubecfg list pods: unbound and Waiting until a scheduler and kubelet act; write what they would.
    r = await h.kubecfg(['list', 'pods']);
    expect(tableCells(r.stdout)[2]).toEqual(['redis-master-2', 'dockerfile/redis', '/', 'name=redis-master', 'Waiting']);
    const pod = await h.store.get<Pod>('pods', 'default', 'redis-master-2');
    await h.store.bind('default', 'redis-master-2', 'minion-1', pod.metadata.resourceVersion!);
    await h.store.guaranteedUpdate<Pod>('pods', 'default', 'redis-master-2', (p) => ({
      ...p,
      status: { ...p.status, phase: 'Running', hostIP: '127.0.1.1', podIP: '172.30.1.2' },
    }), { subresource: 'status' });
    r = await h.kubecfg(['list', 'pods']);
    expect(tableCells(r.stdout)[2]).toEqual(['redis-master-2', 'dockerfile/redis', 'minion-1/127.0.1.1', 'name=redis-master', 'Running']);

    // Step 2: kubecfg -c redis-master-service.json create services (no labels: an empty cell)
    r = await h.kubecfg(['-c', 'redis-master-service.json', 'create', 'services']);
    expect(r.code).toBe(0);
    // 2014's columns once services had portal IPs: the IP is the service's own, from the portal network.
    expect(tableCells(r.stdout)).toEqual([['ID', 'Labels', 'Selector', 'IP', 'Port'], SEP.slice(0, 5), ['redismaster', '', 'name=redis-master', expect.stringMatching(/^172\.30\.0\.\d+$/), '10000']]);

    // Step 3: kubecfg -c redis-slave-controller.json create replicationControllers
    r = await h.kubecfg(['-c', 'redis-slave-controller.json', 'create', 'replicationControllers']);
    expect(r.code).toBe(0);
    expect(tableCells(r.stdout)).toEqual([
      ['ID', 'Image(s)', 'Selector', 'Replicas'],
      SEP.slice(0, 4),
      ['redisSlaveController', 'brendanburns/redis-slave', 'name=redisslave', '2'],
    ]);
    r = await h.kubecfg(['list', 'pods']);
    expect(tableCells(r.stdout)[0]).toEqual(['ID', 'Image(s)', 'Host', 'Labels', 'Status']);
    expect(tableCells(r.stdout).map((row) => row[0])).toContain('redis-master-2');

    r = await h.kubecfg(['-c', 'redis-slave-service.json', 'create', 'services']);
    expect(tableCells(r.stdout)[2]).toEqual(['redisslave', 'name=redisslave', 'name=redisslave', expect.stringMatching(/^172\.30\.0\.\d+$/), '10001']);

    // Step 4: kubecfg -c frontend-controller.json create replicationControllers
    r = await h.kubecfg(['-c', 'frontend-controller.json', 'create', 'replicationControllers']);
    expect(tableCells(r.stdout)[2]).toEqual(['frontendController', 'brendanburns/php-redis', 'name=frontend', '3']);

    r = await h.kubecfg(['list', 'services']);
    expect(tableCells(r.stdout).slice(2).map((row) => row[0]).sort()).toEqual(['redismaster', 'redisslave']);
    r = await h.kubecfg(['list', 'replicationControllers', '-l', 'name=frontend']);
    expect(tableCells(r.stdout).slice(2).map((row) => row[0])).toEqual(['frontendController']);
  });

  it('gets one object as a table, -json or -yaml, and reads a manifest from stdin with -c -', async () => {
    let r = await h.kubecfg(['get', 'pods/redis-master-2']);
    expect(tableCells(r.stdout)[2][0]).toBe('redis-master-2');
    r = await h.kubecfg(['-json', 'get', 'pods/redis-master-2']);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'redis-master-2', kind: 'Pod', apiVersion: 'v1beta1', currentState: { status: 'Running' } });
    r = await h.kubecfg(['get', 'pods/redis-master-2', '-yaml']);
    expect(r.stdout).toMatch(/^id: redis-master-2$/m);

    const manifest = JSON.stringify({
      id: 'from-stdin',
      kind: 'Pod',
      apiVersion: 'v1beta1',
      desiredState: { manifest: { version: 'v1beta1', id: 'from-stdin', containers: [{ name: 'c', image: 'busybox' }] } },
      labels: { name: 'stdin' },
    });
    r = await h.kubecfg(['-c', '-', 'create', 'pods'], { stdin: manifest });
    expect(r.code).toBe(0);
    expect(tableCells(r.stdout)[2]).toEqual(['from-stdin', 'busybox', '/', 'name=stdin', 'Waiting']);
  });

  it('updates a pod from a file, and reports a stale resourceVersion as a Conflict', async () => {
    const current = JSON.parse((await h.kubecfg(['-json', 'get', 'pods/from-stdin'])).stdout);
    const changed = { ...current, labels: { name: 'stdin', tier: 'test' } };
    delete changed.currentState;
    let r = await h.kubecfg(['-c', '-', 'update', 'pods/from-stdin'], { stdin: JSON.stringify(changed) });
    expect(r.stderr).toBe('');
    expect(tableCells(r.stdout)[2][3]).toBe('name=stdin,tier=test');
    // The same body again carries the old resourceVersion: the server refuses it.
    r = await h.kubecfg(['-c', '-', 'update', 'pods/from-stdin'], { stdin: JSON.stringify(changed) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^Error from server \(Conflict\): /);
  });

  it('deletes pods/ID and says so; a missing one is NotFound', async () => {
    let r = await h.kubecfg(['delete', 'pods/from-stdin']);
    expect(r.stdout).toBe('pods/from-stdin deleted\n');
    r = await h.kubecfg(['delete', 'pods/from-stdin']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error from server \(NotFound\): /);
  });

  it('creating an existing object is AlreadyExists with a non-zero exit', async () => {
    const r = await h.kubecfg(['-c', 'redis-master.json', 'create', 'pods']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error from server \(AlreadyExists\): .*redis-master-2/);
  });

  it('runs, resizes, stops and removes a controller; rm is refused while replicas > 0', async () => {
    let r = await h.kubecfg(['-p', '8080:80', 'run', 'dockerfile/nginx', '2', 'myNginxController']);
    expect(r.stderr).toBe('');
    expect(tableCells(r.stdout)[2]).toEqual(['myNginxController', 'dockerfile/nginx', 'name=myNginxController', '2']);
    r = await h.kubecfg(['resize', 'myNginxController', '5']);
    expect(tableCells(r.stdout)[2][3]).toBe('5');
    r = await h.kubecfg(['rm', 'myNginxController']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('still has 5 replicas; stop it first: kubecfg stop myNginxController');
    r = await h.kubecfg(['stop', 'myNginxController']);
    expect(tableCells(r.stdout)[2][3]).toBe('0');
    r = await h.kubecfg(['rm', 'myNginxController']);
    expect(r.code).toBe(0);
    r = await h.kubecfg(['-json', 'list', 'replicationControllers']);
    expect(JSON.parse(r.stdout).items.map((i: { id: string }) => i.id)).not.toContain('myNginxController');
  });

  it('names the file and line of a manifest that does not parse', async () => {
    const r = await h.kubecfg(['-c', '-', 'create', 'pods'], { stdin: '{\n  "id": "x",\n  "kind" "Pod"\n}' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: <stdin>:3: invalid JSON/);
  });

  it('lists the known kinds for an unknown one', async () => {
    const r = await h.kubecfg(['list', 'gizmos']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('doesn\'t have a resource type "gizmos"');
    expect(r.stderr).toContain('replicationControllers (ReplicationController, rc)');
  });
});

describe('run helpers', () => {
  it('parses -p and builds the seed controller', () => {
    expect(parsePortSpec('8080:80')).toEqual({ hostPort: 8080, containerPort: 80 });
    expect(parsePortSpec('80')).toEqual({ containerPort: 80 });
    expect(() => parsePortSpec('70000:80')).toThrow(/HOSTPORT:CONTAINERPORT/);
    expect(runController('nginx', 2, 'web', '8080:80')).toMatchObject({
      id: 'web',
      desiredState: { replicas: 2, replicaSelector: { name: 'web' }, podTemplate: { labels: { name: 'web' } } },
    });
  });
});
