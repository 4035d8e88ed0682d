// The scale subresource (autoscaling/v1 Scale; RCs and Deployments) and status PATCH on a real API server and etcd: what
// `kubectl scale rc` (a merge PATCH of /scale) and status writers do. Stored objects read from etcd.
import { objectKey } from '@coxswain/objects';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

const V1 = '/api/v1/namespaces/default';
const RC = `${V1}/replicationControllers/web`;
const DEP = '/apis/apps/v1/namespaces/default/deployments/front';
const MERGE = { 'Content-Type': 'application/merge-patch+json' };

let f: ApiFixture;
beforeAll(async () => {
  f = await startApiFixture();
  const rc = {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'web' },
    spec: { replicas: 2, selector: { tier: 'front', app: 'web' }, template: { metadata: { labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } } },
  };
  expect((await call(f.url, 'POST', `${V1}/replicationControllers`, rc)).status).toBe(201);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'app:1' }] } };
  expect((await call(f.url, 'POST', `${V1}/pods`, pod)).status).toBe(201);
  const d = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'front' },
    spec: { replicas: 4, selector: { matchLabels: { app: 'front', tier: 'web' } }, template: { metadata: { labels: { app: 'front', tier: 'web' } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } } },
  };
  expect((await call(f.url, 'POST', '/apis/apps/v1/namespaces/default/deployments', d)).status).toBe(201);
}, 60_000);
afterAll(() => f?.stop(), 30_000);

async function stored(resource: 'replicationControllers' | 'pods' | 'deployments', name: string): Promise<any> {
  return JSON.parse((await f.etcdClient.get(objectKey(resource, 'default', name)).string())!);
}

it.each([
  ['an rc', RC, 'web', 2, 'app=web,tier=front'],
  ["a deployment (its matchLabels)", DEP, 'front', 4, 'app=front,tier=web'],
])('GET /scale of %s answers an autoscaling/v1 Scale with the selector as a string', async (_what, path, name, replicas, selector) => {
  const r = await call(f.url, 'GET', `${path}/scale`);
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace: 'default' }, spec: { replicas }, status: { replicas: 0, selector } });
  expect(r.json.metadata.resourceVersion).toBe((await call(f.url, 'GET', path)).json.metadata.resourceVersion);
});

it('PUT /scale writes spec.replicas only; a stale resourceVersion is 409 and changes nothing', async () => {
  const before = await stored('replicationControllers', 'web');
  const current = (await call(f.url, 'GET', `${RC}/scale`)).json;
  const r = await call(f.url, 'PUT', `${RC}/scale`, { ...current, spec: { replicas: 5 } });
  expect(r.status).toBe(200);
  expect(r.json.spec.replicas).toBe(5);
  const after = await stored('replicationControllers', 'web');
  expect(after.spec).toEqual({ ...before.spec, replicas: 5 });
  const stale = await call(f.url, 'PUT', `${RC}/scale`, { ...current, spec: { replicas: 7 } });
  expect(stale.status).toBe(409);
  expect((await stored('replicationControllers', 'web')).spec.replicas).toBe(5);
});

it("PATCH /scale with kubectl scale's merge patch, and with a JSON patch", async () => {
  const merge = await call(f.url, 'PATCH', `${RC}/scale`, { spec: { replicas: 3 } }, MERGE);
  expect(merge.status).toBe(200);
  expect((await stored('replicationControllers', 'web')).spec.replicas).toBe(3);
  const json = await call(f.url, 'PATCH', `${RC}/scale`, [{ op: 'replace', path: '/spec/replicas', value: 1 }], { 'Content-Type': 'application/json-patch+json' });
  expect(json.status).toBe(200);
  expect(json.json.spec.replicas).toBe(1);
  expect((await stored('replicationControllers', 'web')).spec.replicas).toBe(1);
});

it('PATCH /status changes the status and leaves spec and labels as they are (the registry rule)', async () => {
  const r = await call(f.url, 'PATCH', `${V1}/pods/p/status`, { metadata: { labels: { sneaky: 'yes' } }, spec: { containers: [{ name: 'x', image: 'x' }] }, status: { phase: 'Running', podIP: '10.1.2.3' } }, MERGE);
  expect(r.status).toBe(200);
  const s = await stored('pods', 'p');
  expect(s.status).toMatchObject({ phase: 'Running', podIP: '10.1.2.3' });
  expect(s.spec.containers.map((c: any) => c.name)).toEqual(['app']);
  expect(s.metadata.labels?.sneaky).toBeUndefined();
});

it('PATCH on an rc /status writes the status only', async () => {
  const r = await call(f.url, 'PATCH', `${RC}/status`, { spec: { replicas: 99 }, status: { replicas: 2 } }, MERGE);
  expect(r.status).toBe(200);
  const s = await stored('replicationControllers', 'web');
  expect(s.status.replicas).toBe(2);
  expect(s.spec.replicas).toBe(1);
  expect((await call(f.url, 'GET', `${RC}/scale`)).json.status.replicas).toBe(2);
});

describe('the scale subresource of a Deployment (apps/v1)', () => {
  const storedDeployment = (): Promise<any> => stored('deployments', 'front');

  it('PUT writes spec.replicas only (a new generation for the controller to observe); a stale resourceVersion is 409 and changes nothing', async () => {
    const before = await storedDeployment();
    const current = (await call(f.url, 'GET', `${DEP}/scale`)).json;
    const r = await call(f.url, 'PUT', `${DEP}/scale`, { ...current, spec: { replicas: 6 } });
    expect(r.status).toBe(200);
    expect(r.json.spec.replicas).toBe(6);
    const after = await storedDeployment();
    expect(after.spec).toEqual({ ...before.spec, replicas: 6 });
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
    const stale = await call(f.url, 'PUT', `${DEP}/scale`, { ...current, spec: { replicas: 7 } });
    expect(stale.status).toBe(409);
    expect(await storedDeployment()).toEqual(after);
  });

  it('PATCH with a merge, a strategic merge and a JSON patch', async () => {
    const patches: [unknown, string, number][] = [
      [{ spec: { replicas: 3 } }, 'application/merge-patch+json', 3],
      [{ spec: { replicas: 2 } }, 'application/strategic-merge-patch+json', 2],
      [[{ op: 'replace', path: '/spec/replicas', value: 5 }], 'application/json-patch+json', 5],
    ];
    for (const [body, type, replicas] of patches) {
      const r = await call(f.url, 'PATCH', `${DEP}/scale`, body, { 'Content-Type': type });
      expect([type, r.status, r.json.spec.replicas]).toEqual([type, 200, replicas]);
      expect((await storedDeployment()).spec.replicas).toBe(replicas);
    }
  });

  it('a bad replicas is 422 naming spec.replicas, and nothing is written', async () => {
    const before = await storedDeployment();
    for (const replicas of [-1, 1.5, 'many']) {
      const r = await call(f.url, 'PATCH', `${DEP}/scale`, { spec: { replicas } }, MERGE);
      expect([replicas, r.status, r.json.details?.causes?.[0]?.field]).toEqual([replicas, 422, 'spec.replicas']);
    }
    expect(await storedDeployment()).toEqual(before);
  });

  it('a missing deployment is 404; a pod has no scale', async () => {
    expect((await call(f.url, 'GET', '/apis/apps/v1/namespaces/default/deployments/nope/scale')).status).toBe(404);
    expect((await call(f.url, 'GET', '/api/v1/namespaces/default/pods/p/scale')).status).toBe(404);
  });
});
