// autoscaling/v1 HorizontalPodAutoscalers over HTTP on real etcd: created and listed under
// /apis/autoscaling/v1, and the bad ones refused with a 422 naming the field, nothing written.
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

let fx: ApiFixture;
beforeAll(async () => {
  fx = await startApiFixture();
});
afterAll(() => fx?.stop());

const PATH = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
const hpa = (spec: Record<string, unknown>) => ({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' }, spec });
const good = { scaleTargetRef: { apiVersion: 'v1', kind: 'ReplicationController', name: 'web' }, minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 50 };

it('creates one, with an empty status the controller fills', async () => {
  const created = await call(fx.url, 'POST', PATH, hpa(good));
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', spec: good, status: { currentReplicas: 0, desiredReplicas: 0 } });
  expect((await call(fx.url, 'GET', PATH)).json.items).toHaveLength(1);
  expect((await call(fx.url, 'DELETE', `${PATH}/web`)).status).toBe(200);
});

it.each([
  ['min above max', { ...good, minReplicas: 5 }, 'spec.minReplicas', /less than or equal to maxReplicas \(4\)/],
  ['a target of 0', { ...good, targetCPUUtilizationPercentage: 0 }, 'spec.targetCPUUtilizationPercentage', /must be at least 1/],
  ['no target kind', { ...good, scaleTargetRef: { name: 'web' } }, 'spec.scaleTargetRef.kind', /required/],
  ['a target kind without a scale subresource', { ...good, scaleTargetRef: { kind: 'Service', name: 'web' } }, 'spec.scaleTargetRef.kind', /ReplicationController or Deployment/],
  ['max of 0', { ...good, minReplicas: undefined, maxReplicas: 0 }, 'spec.maxReplicas', /must be at least 1/],
])('%s: 422 naming the field, nothing written', async (_what, spec, field, message) => {
  const before = await fx.dump();
  const r = await call(fx.url, 'POST', PATH, hpa(spec));
  expect(r.status).toBe(422);
  expect(r.json.details.causes).toContainEqual(expect.objectContaining({ field, message: expect.stringMatching(message) }));
  expect(await fx.dump()).toEqual(before);
});
