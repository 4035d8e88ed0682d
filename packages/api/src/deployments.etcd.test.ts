// Deployments over HTTP: served under /apis/apps/v1 only (v1beta1 and the core group 404), with
// apiVersion apps/v1 on the wire; bad input is a 422 naming the field, and nothing is written.
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

jest.setTimeout(30_000);

let f: ApiFixture;
beforeAll(async () => {
  f = await startApiFixture();
});
afterAll(async () => {
  await f?.stop();
});

const P = '/apis/apps/v1/namespaces/default/deployments';

function deployment(mutate: (d: any) => void = () => undefined): any {
  const d: any = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:v1' }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
    },
  };
  mutate(d);
  return d;
}

const bad: Array<[string, (d: any) => void, string]> = [
  ['selector not matching the template', (d) => (d.spec.selector.matchLabels = { app: 'other' }), 'spec.template.metadata.labels'],
  ['an empty selector', (d) => (d.spec.selector.matchLabels = {}), 'spec.selector.matchLabels'],
  ['maxUnavailable and maxSurge both 0', (d) => (d.spec.strategy.rollingUpdate = { maxUnavailable: 0, maxSurge: '0%' }), 'spec.strategy.rollingUpdate.maxUnavailable'],
  ['a negative maxSurge', (d) => (d.spec.strategy.rollingUpdate.maxSurge = -1), 'spec.strategy.rollingUpdate.maxSurge'],
  ['a malformed percentage', (d) => (d.spec.strategy.rollingUpdate.maxSurge = '10 %'), 'spec.strategy.rollingUpdate.maxSurge'],
  ['maxUnavailable above 100%', (d) => (d.spec.strategy.rollingUpdate.maxUnavailable = '150%'), 'spec.strategy.rollingUpdate.maxUnavailable'],
  ['a non-integer maxUnavailable', (d) => (d.spec.strategy.rollingUpdate.maxUnavailable = 1.5), 'spec.strategy.rollingUpdate.maxUnavailable'],
  ['negative replicas', (d) => (d.spec.replicas = -1), 'spec.replicas'],
  ['non-integer replicas', (d) => (d.spec.replicas = 2.5), 'spec.replicas'],
  ['negative minReadySeconds', (d) => (d.spec.minReadySeconds = -3), 'spec.minReadySeconds'],
  ['negative revisionHistoryLimit', (d) => (d.spec.revisionHistoryLimit = -1), 'spec.revisionHistoryLimit'],
  ['a zero progressDeadlineSeconds', (d) => (d.spec.progressDeadlineSeconds = 0), 'spec.progressDeadlineSeconds'],
  ['an unknown strategy', (d) => (d.spec.strategy = { type: 'BlueGreen' }), 'spec.strategy.type'],
  ['rollingUpdate with Recreate', (d) => (d.spec.strategy.type = 'Recreate'), 'spec.strategy.rollingUpdate'],
  ['matchExpressions (not supported)', (d) => (d.spec.selector.matchExpressions = [{ key: 'app', operator: 'In', values: ['web'] }]), 'spec.selector.matchExpressions'],
];

describe('Deployments in the API', () => {
  it.each(bad)('%s: 422 naming the field, nothing written', async (_name, mutate, field) => {
    const before = await f.dump();
    const res = await call(f.url, 'POST', P, deployment(mutate));
    expect(res.status).toBe(422);
    expect(res.json.reason).toBe('Invalid');
    expect(res.json.details.causes.map((c: { field: string }) => c.field)).toContain(field);
    expect(await f.dump()).toEqual(before);
  });

  it('creates, reads and lists under apps/v1; v1beta1 and the core group have no deployments', async () => {
    const created = await call(f.url, 'POST', P, deployment());
    expect(created.status).toBe(201);
    expect(created.json.apiVersion).toBe('apps/v1');
    expect(created.json.metadata.generation).toBe(1);
    const got = await call(f.url, 'GET', `${P}/web`);
    expect(got.json.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 1, maxSurge: '25%' });
    const list = await call(f.url, 'GET', P);
    expect(list.json.items.map((d: any) => d.metadata.name)).toEqual(['web']);
    expect((await call(f.url, 'GET', '/api/v1beta1/deployments')).status).toBe(404);
    expect((await call(f.url, 'GET', '/api/v1/namespaces/default/deployments')).status).toBe(404);
  });

  it('a spec change bumps generation; a status write does not touch the spec', async () => {
    const cur = (await call(f.url, 'GET', `${P}/web`)).json;
    cur.spec.template.spec.containers[0].image = 'web:v2';
    const put = await call(f.url, 'PUT', `${P}/web`, cur);
    expect(put.status).toBe(200);
    expect(put.json.metadata.generation).toBe(2);
    const st = await call(f.url, 'PUT', `${P}/web/status`, { ...put.json, spec: { ...put.json.spec, replicas: 99 }, status: { observedGeneration: 2, replicas: 3 } });
    expect(st.status).toBe(200);
    expect(st.json.spec.replicas).toBe(3);
    expect(st.json.status.replicas).toBe(3);
    expect(st.json.metadata.generation).toBe(2);
  });

  it('a strategic merge patch (what kubectl apply and kubectl set image send) changes one container by name', async () => {
    const cur = (await call(f.url, 'GET', `${P}/web`)).json;
    cur.spec.template.spec.containers.push({ name: 'side', image: 'side:v1' });
    expect((await call(f.url, 'PUT', `${P}/web`, cur)).status).toBe(200);
    const patch = { spec: { template: { spec: { containers: [{ name: 'side', image: 'side:v2' }] } } } };
    const res = await call(f.url, 'PATCH', `${P}/web`, patch, { 'Content-Type': 'application/strategic-merge-patch+json' });
    expect(res.status).toBe(200);
    expect(res.json.spec.template.spec.containers.map((c: any) => `${c.name}=${c.image}`)).toEqual(['web=web:v2', 'side=side:v2']);
  });

  // The same rules on the way in through an update: a PUT of the stored deployment with the bad change.
  it.each(bad)('an update to %s: 422 naming the field, nothing written', async (_name, mutate, field) => {
    const before = await f.dump();
    const cur = (await call(f.url, 'GET', `${P}/web`)).json;
    mutate(cur);
    const res = await call(f.url, 'PUT', `${P}/web`, cur);
    expect(res.status).toBe(422);
    expect(res.json.details.causes.map((c: { field: string }) => c.field)).toContain(field);
    expect(await f.dump()).toEqual(before);
  });
});
