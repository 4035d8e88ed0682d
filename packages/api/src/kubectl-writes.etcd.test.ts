// The real kubectl (1.32, on the PATH) against the API server on a real etcd, for the write verbs:
// scale (PATCH /scale), patch (strategic, json, merge), label, annotate, --dry-run=server. Until
// discovery lands, kubectl goes through the stub in testing/kubectl-stub.ts.
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { KubectlStub, startKubectlStub, stubResource as res } from './testing/kubectl-stub';
import { call } from './testing/wire';

let f: ApiFixture;
let stub: KubectlStub;
beforeAll(async () => {
  f = await startApiFixture();
  stub = await startKubectlStub(f.url, [res('pods', 'Pod'), res('pods/status', 'Pod'), res('replicationcontrollers', 'ReplicationController', { shortNames: ['rc'] }), { name: 'replicationcontrollers/scale', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] }]);
  const rc = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web' }, spec: { replicas: 2, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'app:1' }, { name: 'side', image: 'side:1' }] } } } };
  expect((await call(f.url, 'POST', '/api/v1/namespaces/default/replicationControllers', rc)).status).toBe(201);
}, 60_000);
afterAll(async () => { stub?.close(); await f?.stop(); }, 30_000);

const kubectl = (...args: string[]) => stub.kubectl(...args);
const RC = '/api/v1/namespaces/default/replicationControllers/web';

it('scale, the three patch types, label, annotate and a server dry run change the rc as asked', async () => {
  expect(await kubectl('scale', 'rc', 'web', '--replicas=5')).toBe('replicationcontroller/web scaled');
  expect((await call(f.url, 'GET', RC)).json.spec.replicas).toBe(5);
  expect(await kubectl('patch', 'rc', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"side:2"}]}}}}')).toBe('replicationcontroller/web patched');
  expect(stub.patches.at(-1)).toMatch(/^application\/strategic-merge-patch\+json/);
  expect((await call(f.url, 'GET', RC)).json.spec.template.spec.containers.map((c: any) => c.image)).toEqual(['app:1', 'side:2']);
  await kubectl('patch', 'rc', 'web', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":3}]');
  await kubectl('patch', 'rc', 'web', '--type', 'merge', '-p', '{"metadata":{"labels":{"m":"1"}}}');
  expect(await kubectl('label', 'rc', 'web', 'tier=front')).toBe('replicationcontroller/web labeled');
  expect(await kubectl('annotate', 'rc', 'web', 'note=hi')).toBe('replicationcontroller/web annotated');
  expect(await kubectl('scale', 'rc', 'web', '--replicas=9', '--dry-run=server')).toBe('replicationcontroller/web scaled (server dry run)');
  const rc = (await call(f.url, 'GET', RC)).json;
  expect(rc.spec.replicas).toBe(3);
  expect(rc.metadata.labels).toEqual({ m: '1', tier: 'front' });
  expect(rc.metadata.annotations).toEqual({ note: 'hi' });
  await expect(kubectl('patch', 'rc', 'web', '--type', 'json', '-p', '[{"op":"remove","path":"/spec/nothing"}]')).rejects.toThrow(/spec\/nothing/);
}, 120_000);
