// QuotaRepair on a real etcd: a charge left by a process killed between the quota write and the
// object write is given back after 3 passes in a row; a figure found too low is raised at once.
import { objectKey, type Pod, type ResourceQuota } from '@coxswain/objects';
import type { Registry } from '@coxswain/registry';
import { etcdRegistryForSuite } from '@coxswain/testing';
import { QuotaRepair } from './quota-repair';

const suite = etcdRegistryForSuite({ watchProgressIntervalMs: 0 });
let store: Registry;
beforeAll(() => (store = suite.store));

const NS = 'repair';
const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '100m' } } }] } });
const used = async () => (await store.get<ResourceQuota>('resourcequotas', NS, 'q')).status?.used;
const setUsed = (u: Record<string, string>) =>
  store.storage.guaranteedUpdate<ResourceQuota>(objectKey('resourcequotas', NS, 'q'), (cur) => ({ ...cur, status: { hard: cur.spec.hard, used: u } }));

it('lowers a charge too many after 3 passes in a row, and raises a figure too low at once', async () => {
  await store.create<ResourceQuota>({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: NS }, spec: { hard: { pods: '10', 'requests.cpu': '1' } } });
  for (const n of ['a', 'b', 'c']) await store.create(pod(n));
  expect(await used()).toEqual({ pods: '3', 'requests.cpu': '300m' });
  const repair = new QuotaRepair({ store, storage: store.storage });
  expect(await repair.runOnce()).toEqual([]);

  // Killed after charging a fourth pod, before writing it.
  await setUsed({ pods: '4', 'requests.cpu': '400m' });
  expect(await repair.runOnce()).toEqual([]);
  expect(await repair.runOnce()).toEqual([]);
  expect(await used()).toEqual({ pods: '4', 'requests.cpu': '400m' });
  expect(await repair.runOnce()).toEqual([`${NS}/q: pods 4 -> 3, requests.cpu 400m -> 300m`]);
  expect(await used()).toEqual({ pods: '3', 'requests.cpu': '300m' });

  // Too low (a pod created while the quota was being created) is raised on the first pass.
  await setUsed({ pods: '1', 'requests.cpu': '300m' });
  expect(await repair.runOnce()).toEqual([`${NS}/q: pods 1 -> 3`]);
  expect(await used()).toEqual({ pods: '3', 'requests.cpu': '300m' });
});

it('forgets a figure that stopped looking too high (a create in flight that landed)', async () => {
  const repair = new QuotaRepair({ store, storage: store.storage });
  await setUsed({ pods: '4', 'requests.cpu': '400m' });
  expect(await repair.runOnce()).toEqual([]);
  expect(await repair.runOnce()).toEqual([]);
  // The fourth pod is written after all (its charge was right): the count starts again.
  await store.storage.create(objectKey('pods', NS, 'd'), { ...pod('d'), metadata: { name: 'd', namespace: NS, uid: 'u-d' } });
  expect(await repair.runOnce()).toEqual([]);
  expect(await used()).toEqual({ pods: '4', 'requests.cpu': '400m' });
});
