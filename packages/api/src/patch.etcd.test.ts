// PATCH with a JSON merge patch (RFC 7386) on a real API server and etcd: what `kubectl patch --type
// merge` does. Bad patches are in bad-requests.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

const SEED_DIR = join(__dirname, '../../../examples/seed-guestbook');
const seed = (file: string) => JSON.parse(readFileSync(join(SEED_DIR, file), 'utf8'));
const P = '/api/v1beta1';
const MERGE = { 'Content-Type': 'application/merge-patch+json' };

let f: ApiFixture;
beforeAll(async () => {
  f = await startApiFixture();
  for (const [resource, file] of [
    ['pods', 'redis-master.json'],
    ['replicationControllers', 'redis-slave-controller.json'],
  ]) {
    expect((await call(f.url, 'POST', `${P}/${resource}`, seed(file))).status).toBe(201);
  }
}, 60_000);
afterAll(() => f?.stop(), 30_000);

const patch = (path: string, body: unknown) => call(f.url, 'PATCH', `${P}/${path}`, body, MERGE);

it('merges labels, removes one with null, and keeps the rest of the object', async () => {
  const before = (await call(f.url, 'GET', `${P}/pods/redis-master-2`)).json;
  const r = await patch('pods/redis-master-2', { labels: { tier: 'cache', name: null } });
  expect(r.status).toBe(200);
  expect(r.json.labels).toEqual({ tier: 'cache' });
  expect(r.json.desiredState.manifest.containers).toEqual(before.desiredState.manifest.containers);
  expect(Number(r.json.resourceVersion)).toBeGreaterThan(Number(before.resourceVersion));
  // What GET returns afterwards is what the PATCH answered.
  expect((await call(f.url, 'GET', `${P}/pods/redis-master-2`)).json).toEqual(r.json);
});

it('takes a current resourceVersion as a precondition', async () => {
  const { resourceVersion } = (await call(f.url, 'GET', `${P}/pods/redis-master-2`)).json;
  const ok = await patch('pods/redis-master-2', { resourceVersion, labels: { step: 'one' } });
  expect(ok.status).toBe(200);
  // The same version again is stale now.
  const stale = await patch('pods/redis-master-2', { resourceVersion, labels: { step: 'two' } });
  expect(stale.status).toBe(409);
  expect(stale.json).toMatchObject({ kind: 'Status', reason: 'Conflict' });
  expect((await call(f.url, 'GET', `${P}/pods/redis-master-2`)).json.labels.step).toBe('one');
});

it('scales a replication controller by patching its replicas', async () => {
  const r = await patch('replicationControllers/redisSlaveController', { desiredState: { replicas: 5 } });
  expect(r.status).toBe(200);
  expect(r.json.desiredState.replicas).toBe(5);
  expect(r.json.desiredState.replicaSelector).toEqual(seed('redis-slave-controller.json').desiredState.replicaSelector);
});

it('loses no update when 20 patches race on one object', async () => {
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => patch('pods/redis-master-2', { labels: { [`racer-${i}`]: 'yes' } })));
  expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
  const labels = (await call(f.url, 'GET', `${P}/pods/redis-master-2`)).json.labels;
  for (let i = 0; i < 20; i++) expect(labels[`racer-${i}`]).toBe('yes');
});
