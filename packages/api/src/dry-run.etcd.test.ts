// ?dryRun=All on every write (what `kubectl --dry-run=server` sends) on a real API server and etcd:
// the answer the write would give, its errors too, and etcd exactly as before (keys, values, revisions).
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

const V1 = '/api/v1/namespaces/default';
const RC = `${V1}/replicationControllers/web`;
const DRY = '?dryRun=All';
const MERGE = { 'Content-Type': 'application/merge-patch+json' };
const rc = (name = 'web', replicas = 2) => ({
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name },
  spec: { replicas, selector: { app: name }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } } },
});

let f: ApiFixture;
let before: Awaited<ReturnType<ApiFixture['dump']>>;
beforeAll(async () => {
  f = await startApiFixture();
  expect((await call(f.url, 'POST', `${V1}/replicationControllers`, rc())).status).toBe(201);
  before = await f.dump();
}, 60_000);
afterAll(() => f?.stop(), 30_000);
afterEach(async () => expect(await f.dump()).toEqual(before));

it('POST answers the object as created (defaults, uid, timestamp) and stores nothing', async () => {
  const r = await call(f.url, 'POST', `${V1}/replicationControllers${DRY}`, rc('other', 3));
  expect(r.status).toBe(201);
  expect(r.json).toMatchObject({ metadata: { name: 'other', namespace: 'default' }, spec: { replicas: 3 } });
  expect(r.json.metadata.uid).toBeTruthy();
  expect(r.json.metadata.creationTimestamp).toBeTruthy();
  expect((await call(f.url, 'GET', `${V1}/replicationControllers/other`)).status).toBe(404);
});

it('POST of an existing name or an invalid object answers the real error', async () => {
  expect((await call(f.url, 'POST', `${V1}/replicationControllers${DRY}`, rc())).json.reason).toBe('AlreadyExists');
  const bad = await call(f.url, 'POST', `${V1}/replicationControllers${DRY}`, rc('bad', -1));
  expect(bad.status).toBe(422);
  expect(bad.text).toContain('spec.replicas');
});

it('PUT, PATCH, status PATCH and scale answer the changed object; etcd keeps the old one', async () => {
  const current = (await call(f.url, 'GET', RC)).json;
  const put = await call(f.url, 'PUT', `${RC}${DRY}`, { ...current, spec: { ...current.spec, replicas: 7 } });
  expect(put.status).toBe(200);
  expect(put.json.spec.replicas).toBe(7);
  expect(put.json.metadata.generation).toBe(2);
  const patch = await call(f.url, 'PATCH', `${RC}${DRY}`, { metadata: { labels: { x: 'y' } } }, MERGE);
  expect(patch.json.metadata.labels).toEqual({ x: 'y' });
  const status = await call(f.url, 'PATCH', `${RC}/status${DRY}`, { status: { replicas: 4 } }, MERGE);
  expect(status.json.status.replicas).toBe(4);
  const scale = await call(f.url, 'PATCH', `${RC}/scale${DRY}`, { spec: { replicas: 9 } }, MERGE);
  expect(scale.json.spec.replicas).toBe(9);
  expect((await call(f.url, 'GET', RC)).json.spec.replicas).toBe(2);
  const stale = await call(f.url, 'PUT', `${RC}${DRY}`, { ...current, metadata: { ...current.metadata, resourceVersion: '1' } });
  expect(stale.status).toBe(409);
});

it('DELETE answers success and the object stays; a stale precondition is 409', async () => {
  expect((await call(f.url, 'DELETE', `${RC}${DRY}`)).status).toBe(200);
  expect((await call(f.url, 'GET', RC)).status).toBe(200);
  expect((await call(f.url, 'DELETE', `${RC}${DRY}&resourceVersion=1`)).status).toBe(409);
});

it('a dryRun other than All is 400 naming dryRun', async () => {
  const r = await call(f.url, 'DELETE', `${RC}?dryRun=Some`);
  expect(r.status).toBe(400);
  expect(r.json.details.causes[0].field).toBe('dryRun');
});
