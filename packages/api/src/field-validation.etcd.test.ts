// fieldValidation=Strict|Warn|Ignore on writes (kubectl sends Strict) on a real API server and etcd,
// and the defaults: Warn in v1, Strict in v1beta1.
import { objectKey } from '@coxswain/objects';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

const V1 = '/api/v1/namespaces/default';
const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'app', image: 'app:1', colour: 'blue' }], shinyness: 11 },
});

let f: ApiFixture;
beforeAll(async () => {
  f = await startApiFixture();
}, 60_000);
afterAll(() => f?.stop(), 30_000);

const stored = async (name: string) => {
  const v = await f.etcdClient.get(objectKey('pods', 'default', name)).string();
  return v === null ? null : JSON.parse(v);
};

it('Strict: 422 naming every unknown field, nothing stored', async () => {
  const r = await call(f.url, 'POST', `${V1}/pods?fieldValidation=Strict`, pod('strict'));
  expect(r.status).toBe(422);
  expect(r.json.details.causes.map((c: any) => c.field).sort()).toEqual(['spec.containers[0].colour', 'spec.shinyness']);
  expect(r.json.details.causes[0].reason).toBe('FieldValueNotFound');
  expect(await stored('strict')).toBeNull();
});

it('Warn (the v1 default): stored without the fields, a 299 warning naming each', async () => {
  for (const [name, query] of [['warn', '?fieldValidation=Warn'], ['default', '']]) {
    const r = await call(f.url, 'POST', `${V1}/pods${query}`, pod(name));
    expect(r.status).toBe(201);
    expect(r.headers.get('warning')).toBe('299 - "unknown field \\"spec.containers[0].colour\\"", 299 - "unknown field \\"spec.shinyness\\""');
    const s = await stored(name);
    expect(s.spec.containers[0]).not.toHaveProperty('colour');
    expect(s.spec).not.toHaveProperty('shinyness');
  }
});

it('Ignore: stored without the fields and no warning; other errors still 422', async () => {
  const r = await call(f.url, 'POST', `${V1}/pods?fieldValidation=Ignore`, pod('ignore'));
  expect(r.status).toBe(201);
  expect(r.headers.get('warning')).toBeNull();
  expect((await stored('ignore')).spec).not.toHaveProperty('shinyness');
  const bad = pod('bad');
  (bad.spec.containers[0] as any).image = 7;
  const b = await call(f.url, 'POST', `${V1}/pods?fieldValidation=Ignore`, bad);
  expect(b.status).toBe(422);
  expect(b.json.details.causes.map((c: any) => c.field)).toEqual(['spec.containers[0].image']);
});

it('patches follow the mode too; v1beta1 stays strict by default; a bad mode is 400', async () => {
  const strict = await call(f.url, 'PATCH', `${V1}/pods/warn?fieldValidation=Strict`, { spec: { extra: 1 } }, { 'Content-Type': 'application/merge-patch+json' });
  expect(strict.status).toBe(422);
  expect(strict.json.details.causes[0].field).toBe('spec.extra');
  const warn = await call(f.url, 'PATCH', `${V1}/pods/warn`, { spec: { extra: 1 }, metadata: { labels: { a: 'b' } } }, { 'Content-Type': 'application/merge-patch+json' });
  expect(warn.status).toBe(200);
  expect(warn.headers.get('warning')).toContain('spec.extra');
  expect((await stored('warn')).metadata.labels).toEqual({ a: 'b' });
  const beta = await call(f.url, 'POST', '/api/v1beta1/pods', { kind: 'Pod', apiVersion: 'v1beta1', id: 'b', desiredState: { manifest: { version: 'v1beta1', id: 'b', containers: [{ name: 'a', image: 'a', sparkle: true }] } } });
  expect(beta.status).toBe(422);
  expect(beta.text).toContain('sparkle');
  const mode = await call(f.url, 'POST', `${V1}/pods?fieldValidation=Loud`, pod('loud'));
  expect(mode.status).toBe(400);
  expect(mode.json.details.causes[0].field).toBe('fieldValidation');
});
