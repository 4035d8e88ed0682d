// ResourceQuota and LimitRange admission against a real etcd: every writer through the registry
// meets them; concurrent creates never pass a quota (the charge is a CAS on the quota); a failed
// write and a delete give the charge back; LimitRange defaults are what the quota counts.
import { ForbiddenError, InvalidError, type LimitRange, type Pod, type ResourceQuota, type Service } from '@coxswain/objects';
import type { Registry } from './registry';
import { etcdRegistryForSuite } from '@coxswain/testing';

jest.setTimeout(60_000);

const suite = etcdRegistryForSuite({ watchProgressIntervalMs: 0 });
let store: Registry;
beforeAll(() => (store = suite.store));
let n = 0;
let ns: string;
beforeEach(() => {
  ns = `q${++n}`;
});

const pod = (name: string, resources?: Pod['spec']['containers'][number]['resources']): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { containers: [{ name: 'c', image: 'busybox', ...(resources ? { resources } : {}) }] },
});
const quota = (name: string, hard: Record<string, string>): ResourceQuota => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name, namespace: ns }, spec: { hard } });
const used = async (name = 'compute') => (await store.get<ResourceQuota>('resourcequotas', ns, name)).status?.used;

describe('ResourceQuota admission', () => {
  it('measures what the namespace holds when the quota is created, and refuses the create past it with the figures', async () => {
    await store.create(pod('a'));
    await store.create(quota('compute', { pods: '2' }));
    expect(await used()).toEqual({ pods: '1' });
    await store.create(pod('b'));
    expect(await used()).toEqual({ pods: '2' });
    await expect(store.create(pod('c'))).rejects.toThrow(new ForbiddenError('pods "c" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2'));
    expect((await store.list('pods', { namespace: ns })).items).toHaveLength(2);
    expect(await used()).toEqual({ pods: '2' });
  });

  it('lets 40 concurrent creates through exactly up to the limit (CAS on the quota)', async () => {
    await store.create(quota('compute', { pods: '15' }));
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => store.create(pod(`p${i}`))));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(15);
    expect(refused.every((e) => e instanceof ForbiddenError && /exceeded quota: compute/.test(e.message))).toBe(true);
    expect((await store.list('pods', { namespace: ns })).items).toHaveLength(15);
    expect(await used()).toEqual({ pods: '15' });
  });

  it('counts createMany (the replication manager\'s batches) one by one against the quota', async () => {
    await store.create(quota('compute', { pods: '3' }));
    const results = await store.createMany(Array.from({ length: 5 }, (_, i) => pod(`m${i}`)));
    expect(results.filter((r) => r instanceof Error).map((e) => (e as Error).message)).toEqual([
      expect.stringContaining('exceeded quota: compute'), expect.stringContaining('exceeded quota: compute'),
    ]);
    expect(await used()).toEqual({ pods: '3' });
  });

  it('gives the charge back when the write fails, and on delete', async () => {
    await store.create(quota('compute', { pods: '2', services: '1' }));
    await store.create(pod('a'));
    await expect(store.create(pod('a'))).rejects.toThrow('already exists');
    expect(await used()).toEqual({ pods: '1', services: '0' });
    await store.delete('pods', ns, 'a');
    expect(await used()).toEqual({ pods: '0', services: '0' });
    const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: ns }, spec: { ports: [{ port: 80 }], selector: { a: 'b' } } };
    await store.create(svc);
    await expect(store.create({ ...svc, metadata: { name: 't', namespace: ns } })).rejects.toThrow('exceeded quota: compute, requested: services=1, used: services=1, limited: services=1');
  });

  it('sums requests and limits, names each resource passed, and refuses a container that leaves a limited resource unset', async () => {
    await store.create(quota('compute', { 'requests.cpu': '1', 'limits.memory': '1Gi' }));
    await store.create(pod('a', { limits: { cpu: '600m', memory: '512Mi' } }));
    expect(await used()).toEqual({ 'requests.cpu': '600m', 'limits.memory': '512Mi' });
    await expect(store.create(pod('b', { limits: { cpu: '500m', memory: '768Mi' } }))).rejects.toThrow(
      'exceeded quota: compute, requested: requests.cpu=500m,limits.memory=768Mi, used: requests.cpu=600m,limits.memory=512Mi, limited: requests.cpu=1,limits.memory=1Gi',
    );
    await expect(store.create(pod('c', { requests: { cpu: '100m' } }))).rejects.toThrow('pods "c" is forbidden: failed quota: compute: must specify limits.memory');
  });

  it('refuses a quota on an unknown resource, naming the field', async () => {
    await expect(store.create(quota('bad', { gpus: '1' }))).rejects.toThrow(InvalidError);
    await expect(store.create(quota('bad', { pods: 'many' }))).rejects.toThrow('spec.hard.pods');
  });
});

describe('LimitRange admission', () => {
  const range = (item: LimitRange['spec']['limits'][number]): LimitRange => ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits', namespace: ns }, spec: { limits: [item] } });

  it('defaults a container\'s limits and requests, and the quota counts the defaults', async () => {
    await store.create(range({ type: 'Container', default: { cpu: '500m', memory: '128Mi' }, defaultRequest: { cpu: '100m' } }));
    await store.create(quota('compute', { 'requests.cpu': '1', 'limits.memory': '1Gi' }));
    const p = await store.create(pod('a'));
    expect(p.spec.containers[0].resources).toEqual({ limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    expect(await used()).toEqual({ 'requests.cpu': '100m', 'limits.memory': '128Mi' });
    // What the container sets is kept.
    const q = await store.create(pod('b', { limits: { cpu: '2', memory: '64Mi' }, requests: { cpu: '200m' } }));
    expect(q.spec.containers[0].resources).toEqual({ limits: { cpu: '2', memory: '64Mi' }, requests: { cpu: '200m', memory: '64Mi' } });
  });

  it('refuses a container outside min and max with a 403 naming the figure', async () => {
    await store.create(range({ type: 'Container', min: { memory: '16Mi' }, max: { cpu: '1' } }));
    await expect(store.create(pod('big', { limits: { cpu: '2', memory: '64Mi' } }))).rejects.toThrow(
      new ForbiddenError('pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2 (container c)'),
    );
    await expect(store.create(pod('small', { limits: { cpu: '1', memory: '8Mi' } }))).rejects.toThrow('minimum memory usage per Container is 16Mi, but request is 8Mi');
    await expect(store.create(pod('unbounded'))).rejects.toThrow('maximum cpu usage per Container is 1, but limit is not set');
    await store.create(pod('fits', { limits: { cpu: '1', memory: '16Mi' } }));
  });

  it('refuses a range whose default is above its max', async () => {
    await expect(store.create(range({ type: 'Container', default: { cpu: '2' }, max: { cpu: '1' } }))).rejects.toThrow('spec.limits[0].max.cpu: must not be less than default.cpu (2)');
  });
});
