// Portal IPs on a real etcd, many writers at once: 16 registries (as 16 API servers, each its own
// etcd client) creating 200 services in parallel get 200 distinct addresses; delete + recreate
// reuses freed ones with no collision.
import type { Etcd3 } from 'etcd3';
import type { Service } from '@coxswain/objects';
import { EtcdHarness, startEtcd } from '@coxswain/testing';
import { openRegistry } from './open-registry';
import { PortalAllocator } from './portal-allocator';
import type { Registry } from './registry';

let etcd: EtcdHarness;
let client: Etcd3;
let registries: Registry[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  client = etcd.client();
});
afterEach(async () => {
  await Promise.all(registries.map((r) => r.close()));
  registries = [];
  await client.delete().prefix('/registry/');
});
afterAll(async () => {
  client?.close();
  await etcd?.stop();
});

function service(name: string): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 6379 }], selector: { name } } };
}

function open(n: number, portalNet: string): Registry[] {
  registries = Array.from({ length: n }, () => openRegistry(etcd.endpoints, { portalNet }));
  return registries;
}

async function storedAddresses(r: Registry): Promise<string[]> {
  return (await r.list<Service>('services')).items.map((s) => s.spec.clusterIP!);
}

it('200 services created by 16 parallel clients get 200 distinct addresses, all marked', async () => {
  const rs = open(16, '172.30.0.0/24');
  const created = await Promise.all(Array.from({ length: 200 }, (_, i) => rs[i % 16].create(service(`s${i}`))));
  const ips = created.map((s) => s.spec.clusterIP!);
  expect(new Set(ips).size).toBe(200);
  expect(ips.every((ip) => /^172\.30\.0\.(\d+)$/.test(ip) && !['172.30.0.0', '172.30.0.255'].includes(ip))).toBe(true);
  expect((await storedAddresses(rs[0])).sort()).toEqual([...ips].sort());
  const snap = await PortalAllocator.snapshot(rs[0].storage);
  expect([...snap!.allocated].sort()).toEqual([...ips].sort());
}, 60_000);

it('delete + recreate in parallel reuses freed addresses without a collision', async () => {
  const rs = open(8, '172.30.0.0/28'); // 14 addresses
  await Promise.all(Array.from({ length: 14 }, (_, i) => rs[i % 8].create(service(`s${i}`))));
  await expect(rs[0].create(service('one-too-many'))).rejects.toThrow(/no free portal IP: all 14 addresses of 172.30.0.0\/28/);
  const freed = await Promise.all([0, 3, 5, 9].map((i) => rs[i % 8].delete<Service>('services', 'default', `s${i}`)));
  const again = await Promise.all([0, 1, 2, 3].map((i) => rs[(i + 4) % 8].create(service(`new${i}`))));
  expect(again.map((s) => s.spec.clusterIP).sort()).toEqual(freed.map((s) => s.spec.clusterIP).sort());
  const all = await storedAddresses(rs[0]);
  expect(all).toHaveLength(14);
  expect(new Set(all).size).toBe(14);
}, 60_000);
