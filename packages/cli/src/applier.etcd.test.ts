// apply against a real API server on a real etcd: create, unchanged (no write), configured with a
// removed field really removed, internal-form YAML, dry runs, and diffPaths.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ReplicationController, Service } from '@coxswain/objects';
import { diffPaths } from './applier';
import { ClusterHarness, SEED_EXAMPLES, startClusterHarness } from './testing/cluster-harness';

let h: ClusterHarness;
let dir: string;
beforeAll(async () => {
  h = await startClusterHarness();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubecfg-apply-'));
  for (const f of fs.readdirSync(SEED_EXAMPLES)) fs.copyFileSync(path.join(SEED_EXAMPLES, f), path.join(dir, f));
}, 60_000);
afterAll(async () => {
  await h?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}, 30_000);

async function resourceVersions(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const resource of ['pods', 'services', 'replicationControllers'] as const) {
    for (const o of (await h.store.list(resource, { namespace: 'default' })).items) out[`${resource}/${o.metadata.name}`] = o.metadata.resourceVersion!;
  }
  return out;
}

describe('kubecfg apply -f DIR', () => {
  it('creates every object, then a second run prints unchanged for each and writes nothing', async () => {
    let r = await h.kubecfg(['apply', '-f', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([
      'pod/redis-master-2 created',
      'replicationcontroller/frontendController created',
      'replicationcontroller/redisSlaveController created',
      'service/redismaster created',
      'service/redisslave created',
    ]);
    const before = await resourceVersions();
    const revision = await h.store.currentRevision();
    r = await h.kubecfg(['apply', '-f', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([
      'pod/redis-master-2 unchanged',
      'replicationcontroller/frontendController unchanged',
      'replicationcontroller/redisSlaveController unchanged',
      'service/redismaster unchanged',
      'service/redisslave unchanged',
    ]);
    expect(await resourceVersions()).toEqual(before);
    expect(await h.store.currentRevision()).toBe(revision);
  });

  it('configures a changed object and removes a field the file no longer has', async () => {
    const file = path.join(dir, 'frontend-controller.json');
    const rc = JSON.parse(fs.readFileSync(file, 'utf8'));
    rc.desiredState.replicas = 4;
    delete rc.desiredState.podTemplate.labels.stage; // the template label goes...
    rc.desiredState.podTemplate.desiredState.manifest.containers[0].image = 'brendanburns/php-redis:v2';
    fs.writeFileSync(file, JSON.stringify(rc, null, 2));
    const r = await h.kubecfg(['apply', '-f', file]);
    expect(r.stdout).toBe('replicationcontroller/frontendController configured\n');
    const live = await h.store.get<ReplicationController>('replicationControllers', 'default', 'frontendController');
    expect(live.spec.replicas).toBe(4);
    expect(live.spec.template.metadata?.labels).toEqual({ name: 'frontend' }); // ...and is gone from the live object
    expect(live.spec.template.spec.containers[0].image).toBe('brendanburns/php-redis:v2');
    expect((await h.kubecfg(['apply', '-f', file])).stdout).toBe('replicationcontroller/frontendController unchanged\n');
  });

  it('keeps what another writer set that the file never mentioned, and re-asserts what the file does set', async () => {
    await h.store.guaranteedUpdate<Service>('services', 'default', 'redisslave', (s) => ({
      ...s,
      metadata: { ...s.metadata, labels: { ...s.metadata.labels, owner: 'ops' } },
      spec: { ...s.spec, sessionAffinity: 'ClientIP' },
    }));
    const r = await h.kubecfg(['apply', '-f', path.join(dir, 'redis-slave-service.json')]);
    expect(r.stdout).toBe('service/redisslave unchanged\n');
    const svc = await h.store.get<Service>('services', 'default', 'redisslave');
    expect(svc.metadata.labels).toEqual({ name: 'redisslave', owner: 'ops' });
    // Someone moves the port the file sets: apply puts it back.
    await h.store.guaranteedUpdate<Service>('services', 'default', 'redisslave', (s) => ({ ...s, spec: { ...s.spec, ports: [{ ...s.spec.ports[0], port: 10002 }] } }));
    expect((await h.kubecfg(['apply', '-f', path.join(dir, 'redis-slave-service.json')])).stdout).toBe('service/redisslave configured\n');
    const after = await h.store.get<Service>('services', 'default', 'redisslave');
    expect(after.spec.ports[0].port).toBe(10001);
    expect(after.metadata.labels).toEqual({ name: 'redisslave', owner: 'ops' });
  });

  it('applies internal-form YAML (several documents, from stdin) and prunes removed fields there too', async () => {
    const yaml = (labels: string) => `apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {${labels}}
spec:
  ports: [{port: 8081, targetPort: 80}]
  selector: {app: web}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: web}
spec:
  replicas: 2
  selector: {app: web}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
`;
    let r = await h.kubecfg(['apply', '-f', '-'], { stdin: yaml('app: web, tier: frontend') });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('service/web created\nreplicationcontroller/web created\n');
    r = await h.kubecfg(['apply', '-f', '-', '--dry-run'], { stdin: yaml('app: web') });
    expect(r.stdout).toContain('service/web configured (dry run)');
    expect(r.stdout).toContain('~ metadata.labels.tier: "frontend" -> <none>');
    expect(r.stdout).toContain('replicationcontroller/web unchanged (dry run)');
    expect((await h.store.get<Service>('services', 'default', 'web')).metadata.labels).toEqual({ app: 'web', tier: 'frontend' });
    r = await h.kubecfg(['apply', '-f', '-'], { stdin: yaml('app: web') });
    expect(r.stdout).toBe('service/web configured\nreplicationcontroller/web unchanged\n');
    expect((await h.store.get<Service>('services', 'default', 'web')).metadata.labels).toEqual({ app: 'web' });
  });

  it('reports a manifest error with file and line, and a server rejection with its reason', async () => {
    const bad = path.join(dir, 'broken.yaml');
    fs.writeFileSync(bad, 'kind: Pod\nmetadata:\n  name: x\n  labels: [unclosed\n');
    let r = await h.kubecfg(['apply', '-f', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: invalid YAML`));
    fs.rmSync(bad);
    r = await h.kubecfg(['apply', '-f', '-'], { stdin: '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bad pod"},"spec":{"containers":[]}}' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error from server \(Invalid\): /);
  });
});

describe('diffPaths', () => {
  it('lists changed leaves, ignoring server-owned top-level fields', () => {
    expect(diffPaths({ a: { b: 1, c: 2 }, status: { x: 1 } }, { a: { b: 2, c: 2 }, status: { x: 2 } })).toEqual(['a.b: 1 -> 2']);
    expect(diffPaths({ l: [1] }, { l: [1, 2] })).toEqual(['l: [1] -> [1,2]']);
    expect(diffPaths({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
