// When etcd is down the API answers 503 Statuses (and /healthz says so) instead of hanging or
// crashing, and serves again once etcd is back.
import { eventually } from '@coxswain/testing';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

let f: ApiFixture;
beforeAll(async () => {
  f = await startApiFixture();
}, 30_000);
afterAll(() => f?.stop(), 30_000);

it('answers 503 while etcd is down and recovers when it returns', async () => {
  expect((await call(f.url, 'GET', '/api/v1beta1/pods')).status).toBe(200);
  await f.etcd.kill();
  const list = await call(f.url, 'GET', '/api/v1beta1/pods');
  expect(list.status).toBe(503);
  expect(list.json).toMatchObject({ kind: 'Status', status: 'Failure', code: 503, reason: 'ServiceUnavailable' });
  const health = await call(f.url, 'GET', '/healthz');
  expect(health.status).toBe(503);
  expect(health.json.message).toMatch(/etcd/);
  await f.etcd.restart();
  await eventually(async () => (await call(f.url, 'GET', '/api/v1beta1/pods')).status === 200, 15_000, 'the API to list pods again', 200);
  expect((await call(f.url, 'GET', '/healthz')).status).toBe(200);
}, 60_000);
