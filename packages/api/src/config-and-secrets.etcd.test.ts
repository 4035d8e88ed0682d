// v1 ConfigMaps and Secrets over HTTP on real etcd: created, read back and updated under /api/v1;
// a Secret's stringData folded into base64 data; bad keys, bad base64 and objects over 1 MiB
// refused with a 422 naming the field, nothing written.
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

let fx: ApiFixture;
beforeAll(async () => {
  fx = await startApiFixture();
});
afterAll(() => fx?.stop());

const CM = '/api/v1/namespaces/default/configmaps';
const SECRETS = '/api/v1/namespaces/default/secrets';
const configMap = (data: Record<string, string>, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' }, data, ...extra });
const secret = (fields: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, ...fields });

it('creates a ConfigMap, reads it back and updates its data', async () => {
  const created = await call(fx.url, 'POST', CM, configMap({ 'nginx.conf': 'worker_processes 1;\n', mode: 'fast' }));
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ kind: 'ConfigMap', data: { 'nginx.conf': 'worker_processes 1;\n', mode: 'fast' } });
  const updated = await call(fx.url, 'PUT', `${CM}/web`, { ...created.json, data: { mode: 'slow' } });
  expect(updated.status).toBe(200);
  expect((await call(fx.url, 'GET', `${CM}/web`)).json.data).toEqual({ mode: 'slow' });
  expect((await call(fx.url, 'DELETE', `${CM}/web`)).status).toBe(200);
});

it('folds a Secret\'s stringData into base64 data (stringData wins), type Opaque by default', async () => {
  const created = await call(fx.url, 'POST', SECRETS, secret({ data: { user: Buffer.from('admin').toString('base64'), password: 'b2xk' }, stringData: { password: 's3cr3t' } }));
  expect(created.status).toBe(201);
  expect(created.json.type).toBe('Opaque');
  expect(created.json.stringData).toBeUndefined();
  expect(created.json.data).toEqual({ user: 'YWRtaW4=', password: Buffer.from('s3cr3t').toString('base64') });
  // Nor is stringData stored: what etcd holds decodes to the same two keys.
  const stored = (await fx.dump()).kvs.find((kv) => kv.key.includes('/secrets/'));
  expect(JSON.parse(stored!.value)).not.toHaveProperty('stringData');
  const updated = await call(fx.url, 'PUT', `${SECRETS}/db`, { ...created.json, stringData: { password: 'n3w' } });
  expect(updated.status).toBe(200);
  expect(Buffer.from(updated.json.data.password, 'base64').toString()).toBe('n3w');
  expect((await call(fx.url, 'DELETE', `${SECRETS}/db`)).status).toBe(200);
});

const MiB = 1024 * 1024;
it.each([
  ['a ConfigMap key with /', CM, configMap({ 'conf/app.yaml': 'x' }), 'data["conf/app.yaml"]', /no '\/'/],
  ['a ConfigMap key ..data', CM, configMap({ '..data': 'x' }), 'data["..data"]', /must not be/],
  ['a ConfigMap over 1 MiB', CM, configMap({ a: 'x'.repeat(MiB / 2), b: 'y'.repeat(MiB / 2 + 1) }), 'data', /at most 1 MiB/],
  ['a ConfigMap value that is not text', CM, configMap({ a: 5 as unknown as string }), 'data.a', /string/],
  ['binaryData that is not base64', CM, configMap({}, { binaryData: { logo: 'not base64!' } }), 'binaryData.logo', /base64/],
  ['a Secret with invalid base64', SECRETS, secret({ data: { password: 's3cr3t!' } }), 'data.password', /must be base64/],
  ['a Secret key with /', SECRETS, secret({ stringData: { 'a/b': 'x' } }), 'stringData["a/b"]', /no '\/'/],
  ['a Secret over 1 MiB', SECRETS, secret({ data: { big: Buffer.alloc(MiB + 1).toString('base64') } }), 'data', /at most 1 MiB/],
])('%s: 422 naming the field, nothing written', async (_what, path, body, field, message) => {
  const before = await fx.dump();
  const r = await call(fx.url, 'POST', path, body);
  expect(r.status).toBe(422);
  expect(r.json.details.causes).toContainEqual(expect.objectContaining({ field, message: expect.stringMatching(message) }));
  expect(await fx.dump()).toEqual(before);
});
