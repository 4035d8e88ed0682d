// ?limit= and ?continue= on a real etcd: pages of a consistent snapshot, a token that expires with
// compaction, and kubectl's own chunked listing.
import type { Pod } from '@coxswain/objects';
import { kubeconfigFor, kubectlRunner } from '@coxswain/testing';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

let f: ApiFixture;
beforeAll(async () => {
  f = await startApiFixture();
  for (let i = 0; i < 7; i++) {
    await f.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  }
}, 60_000);
afterAll(async () => f?.stop(), 30_000);

const PODS = '/api/v1/namespaces/default/pods';
const names = (list: { items: Array<{ metadata: { name: string } }> }) => list.items.map((p) => p.metadata.name);

it('pages through a list at one revision: what is created meanwhile is not in it', async () => {
  const first = (await call(f.url, 'GET', `${PODS}?limit=3`)).json;
  expect(names(first)).toEqual(['p0', 'p1', 'p2']);
  expect(first.metadata.continue).toEqual(expect.any(String));
  await f.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p9', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  const second = (await call(f.url, 'GET', `${PODS}?limit=3&continue=${first.metadata.continue}`)).json;
  expect(names(second)).toEqual(['p3', 'p4', 'p5']);
  expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
  const third = (await call(f.url, 'GET', `${PODS}?limit=3&continue=${second.metadata.continue}`)).json;
  expect(names(third)).toEqual(['p6']);
  expect(third.metadata.continue).toBeUndefined();
  // A new list sees it.
  expect(names((await call(f.url, 'GET', PODS)).json)).toContain('p9');
});

it('kubectl lists in chunks (--chunk-size) and gets every object', async () => {
  const kubectl = kubectlRunner(kubeconfigFor(f.url));
  const out = await kubectl('get', 'pods', '--chunk-size=2', '-o', 'name');
  expect(out.split('\n')).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p9'].map((n) => `pod/${n}`));
}, 60_000);

it('a token once its revision is compacted: 410 Expired; a bad or foreign one and a bad limit: 400 naming the parameter', async () => {
  const first = (await call(f.url, 'GET', `${PODS}?limit=2`)).json;
  const foreign = (await call(f.url, 'GET', `/api/v1/namespaces/default/services?limit=1&continue=${first.metadata.continue}`)).json;
  expect(foreign).toMatchObject({ code: 400, details: { causes: [{ field: 'continue' }] } });
  expect((await call(f.url, 'GET', `${PODS}?limit=2&continue=garbage`)).json).toMatchObject({ code: 400, details: { causes: [{ field: 'continue' }] } });
  expect((await call(f.url, 'GET', `${PODS}?limit=many`)).json).toMatchObject({ code: 400, details: { causes: [{ field: 'limit' }] } });
  await f.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'later', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  await f.etcd.compact();
  const expired = await call(f.url, 'GET', `${PODS}?limit=2&continue=${first.metadata.continue}`);
  expect(expired.status).toBe(410);
  expect(expired.json.reason).toBe('Expired');
});

it('resourceVersionMatch=Exact reads the list as it was at that revision; NotOlderThan the newest; bad values 400', async () => {
  const then = (await call(f.url, 'GET', PODS)).json.metadata.resourceVersion;
  await f.store.delete('pods', 'default', 'p0');
  const exact = (await call(f.url, 'GET', `${PODS}?resourceVersion=${then}&resourceVersionMatch=Exact`)).json;
  expect(exact.metadata.resourceVersion).toBe(then);
  expect(names(exact)).toContain('p0');
  const limited = names((await call(f.url, 'GET', `${PODS}?resourceVersion=${then}&resourceVersionMatch=Exact&limit=2`)).json);
  expect(limited).toEqual(names(exact).slice(0, 2));
  expect(limited).toContain('p0');
  expect(names((await call(f.url, 'GET', `${PODS}?resourceVersion=${then}&resourceVersionMatch=NotOlderThan`)).json)).not.toContain('p0');
  expect((await call(f.url, 'GET', `${PODS}?resourceVersionMatch=Sometime&resourceVersion=1`)).json).toMatchObject({ code: 400, details: { causes: [{ field: 'resourceVersionMatch' }] } });
  expect((await call(f.url, 'GET', `${PODS}?resourceVersionMatch=Exact`)).json).toMatchObject({ code: 400, details: { causes: [{ field: 'resourceVersionMatch' }] } });
});
