// Strategic merge patch and JSON patch (RFC 6902) in v1 on a real API server and etcd: the bodies
// `kubectl patch` (default and --type json), `kubectl apply` after a change and `kubectl edit` send.
// What is stored is read straight from etcd. Bad patches are in bad-requests.etcd.test.ts.
import { objectKey } from '@coxswain/objects';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

const V1 = '/api/v1/namespaces/default';
const SMP = { 'Content-Type': 'application/strategic-merge-patch+json' };
const JSONP = { 'Content-Type': 'application/json-patch+json' };
const RC = `${V1}/replicationControllers/web`;

let f: ApiFixture;
beforeAll(async () => {
  f = await startApiFixture();
}, 60_000);
afterAll(() => f?.stop(), 30_000);

const rc = () => ({
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 2,
    selector: { app: 'web' },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'app', image: 'app:1', ports: [{ containerPort: 80 }], env: [{ name: 'MODE', value: 'a' }] },
          { name: 'side', image: 'side:1' },
        ],
      },
    },
  },
});

async function stored(): Promise<any> {
  const value = await f.etcdClient.get(objectKey('replicationControllers', 'default', 'web')).string();
  return value === null ? null : JSON.parse(value);
}

beforeEach(async () => {
  await call(f.url, 'DELETE', RC);
  const r = await call(f.url, 'POST', `${V1}/replicationControllers`, rc());
  expect(r.status).toBe(201);
});

it('a strategic merge patch changes one container by name and keeps the other', async () => {
  const r = await call(f.url, 'PATCH', RC, { spec: { replicas: 3, template: { spec: { containers: [{ name: 'side', image: 'side:2' }] } } } }, SMP);
  expect(r.status).toBe(200);
  const s = await stored();
  expect(s.spec.replicas).toBe(3);
  expect(s.spec.template.spec.containers.map((c: any) => `${c.name}=${c.image}`)).toEqual(['app=app:1', 'side=side:2']);
  expect(s.spec.template.spec.containers[0].env).toEqual([{ name: 'MODE', value: 'a' }]);
  expect((await call(f.url, 'GET', RC)).json).toEqual(r.json);
});

it("kubectl apply's patch after a change ($setElementOrder, a removed container, a new env var) applies", async () => {
  // The shape kubectl 1.32 computes from last-applied vs the file: order directives, the changed
  // fields, deletions as $patch: delete, and the new last-applied annotation.
  const body = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"ReplicationController"}\n' } },
    spec: {
      replicas: 4,
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'app' }],
          containers: [
            { name: 'app', '$setElementOrder/env': [{ name: 'MODE' }, { name: 'EXTRA' }], env: [{ name: 'EXTRA', value: 'x' }] },
            { name: 'side', $patch: 'delete' },
          ],
        },
      },
    },
  };
  const r = await call(f.url, 'PATCH', RC, body, SMP);
  expect(r.status).toBe(200);
  const s = await stored();
  expect(s.spec.replicas).toBe(4);
  expect(s.spec.template.spec.containers).toHaveLength(1);
  expect(s.spec.template.spec.containers[0].env).toEqual([{ name: 'MODE', value: 'a' }, { name: 'EXTRA', value: 'x' }]);
  expect(s.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('ReplicationController');
  expect(JSON.stringify(s)).not.toContain('$');
});

it('a JSON patch replaces, adds and removes by pointer; a failing test op writes nothing', async () => {
  const ops = [
    { op: 'replace', path: '/spec/replicas', value: 5 },
    { op: 'add', path: '/metadata/labels/tier', value: 'front' },
    { op: 'remove', path: '/spec/template/spec/containers/1' },
  ];
  const r = await call(f.url, 'PATCH', RC, ops, JSONP);
  expect(r.status).toBe(200);
  const s = await stored();
  expect(s.spec.replicas).toBe(5);
  expect(s.metadata.labels).toEqual({ app: 'web', tier: 'front' });
  expect(s.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['app']);

  const failing = await call(f.url, 'PATCH', RC, [{ op: 'replace', path: '/spec/replicas', value: 9 }, { op: 'test', path: '/spec/replicas', value: 1 }], JSONP);
  expect(failing.status).toBe(422);
  expect(failing.json.details.causes[0].field).toBe('/spec/replicas');
  expect(await stored()).toEqual(s);
});

it('a patch whose result breaks validation is 422 naming the field, etcd unchanged', async () => {
  const before = await stored();
  const r = await call(f.url, 'PATCH', RC, { spec: { template: { spec: { containers: [{ name: 'app', image: null }] } } } }, SMP);
  expect(r.status).toBe(422);
  expect(r.text).toContain('spec.template.spec.containers[0].image');
  expect(await stored()).toEqual(before);
});

it('20 strategic patches racing on one object all land (server-side retry on conflict)', async () => {
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => call(f.url, 'PATCH', RC, { metadata: { labels: { [`racer-${i}`]: 'yes' } } }, SMP)),
  );
  expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
  const labels = (await stored()).metadata.labels;
  for (let i = 0; i < 20; i++) expect(labels[`racer-${i}`]).toBe('yes');
});
