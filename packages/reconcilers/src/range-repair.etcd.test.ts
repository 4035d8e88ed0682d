// The repair loop on a real etcd: a process killed with SIGKILL after the allocator write and
// before the service write leaves an address marked with no service; repair passes give it back
// (after it has looked leaked for leakPasses passes, so a create in flight keeps its address), and
// the whole range can then be filled with no duplicate. The same repair keeps the pod CIDR
// allocator true to the minions.
import { spawn } from 'node:child_process';
import type { Etcd3 } from 'etcd3';
import type { Minion, Service } from '@coxswain/objects';
import { openRegistry, PodCidrAllocator, PortalAllocator, type Registry } from '@coxswain/registry';
import { EtcdHarness, startEtcd } from '@coxswain/testing';
import { PodCidrRepair, PortalRepair } from './range-repair';

const NET = '172.30.0.0/28'; // 14 addresses
let etcd: EtcdHarness;
let client: Etcd3;
let registry: Registry;

beforeAll(async () => {
  etcd = await startEtcd();
  client = etcd.client();
  registry = openRegistry(etcd.endpoints, { portalNet: NET });
});
afterAll(async () => {
  await registry?.close();
  client?.close();
  await etcd?.stop();
});

function service(name: string): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 6379 }], selector: { name } } };
}

/** A separate process that does the allocator write of a create, reports the address, and is killed -9 before the service write. */
async function allocateThenDie(): Promise<string> {
  const script = `
    const { openRegistry, PortalAllocator, PortalRange } = require('@coxswain/registry');
    const r = openRegistry(${JSON.stringify(etcd.endpoints)});
    new PortalAllocator(r.storage, PortalRange.parse(${JSON.stringify(NET)})).allocate('victim').then((ip) => {
      process.stdout.write(ip + '\\n');
      setInterval(() => {}, 1000); // the service write never comes
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ip = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', (code) => reject(new Error(`allocating process exited early (${code})`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return ip;
}

it('gives back an address leaked by a kill -9 between the two writes, and never hands one out twice', async () => {
  const kept = await Promise.all([1, 2, 3].map((i) => registry.create(service(`live${i}`))));
  const leaked = await allocateThenDie();
  expect(kept.map((s) => s.spec.clusterIP)).not.toContain(leaked);
  const repair = new PortalRepair({ store: registry, storage: registry.storage, leakPasses: 3 });

  // Two passes: still marked (it might be a create in flight).
  expect((await repair.runOnce()).released).toEqual([]);
  expect((await repair.runOnce()).released).toEqual([]);
  expect((await PortalAllocator.snapshot(registry.storage))!.allocated.has(leaked)).toBe(true);
  // The third gives it back; the live services keep theirs.
  expect((await repair.runOnce()).released).toEqual([leaked]);
  const marked = (await PortalAllocator.snapshot(registry.storage))!.allocated;
  expect([...marked].sort()).toEqual(kept.map((s) => s.spec.clusterIP).sort());

  // No leak: the whole range fills, with no duplicate.
  for (let i = 0; i < 11; i++) await registry.create(service(`fill${i}`));
  const all = (await registry.list<Service>('services')).items.map((s) => s.spec.clusterIP);
  expect(all).toHaveLength(14);
  expect(new Set(all).size).toBe(14);
  expect(all).toContain(leaked);
}, 60_000);

it('marks again an address a service holds that the allocator lost', async () => {
  const svc = (await registry.list<Service>('services')).items[0];
  const snap = (await PortalAllocator.snapshot(registry.storage))!;
  await snap.allocator.replace(snap.version, [...snap.allocated].filter((ip) => ip !== svc.spec.clusterIP));
  const pass = await new PortalRepair({ store: registry, storage: registry.storage }).runOnce();
  expect(pass.restored).toEqual([svc.spec.clusterIP]);
  expect((await PortalAllocator.snapshot(registry.storage))!.allocated.has(svc.spec.clusterIP!)).toBe(true);
  await expect(registry.create(service('over'))).rejects.toThrow(/no free portal IP/);
}, 60_000);

it('pod subnets: marks a minion registered before any range was stored, and gives back one whose minion is gone', async () => {
  // A kubelet registered on a bare etcd keeps the subnet it sent (no range stored yet).
  const early = await registry.create<Minion>({ apiVersion: 'v1', kind: 'Minion', metadata: { name: 'early' }, spec: { podCIDR: '10.66.4.0/24' } });
  expect(early.spec?.podCIDR).toBe('10.66.4.0/24');
  // Then the API server starts with --cluster-cidr 10.66.0.0/16.
  const api = openRegistry(etcd.endpoints, { clusterCidr: '10.66.0.0/16' });
  try {
    await api.ensureRanges();
    const repair = new PodCidrRepair({ store: api, storage: api.storage, leakPasses: 2 });
    expect((await repair.runOnce()).restored).toEqual(['10.66.4.0/24']);
    await expect(api.create<Minion>({ apiVersion: 'v1', kind: 'Minion', metadata: { name: 'late' }, spec: { podCIDR: '10.66.4.0/24' } })).rejects.toThrow(
      'is already allocated to another minion',
    );
    // A minion removed behind the registry's back (its allocator write never undone) leaks its subnet until repaired.
    await api.storage.delete('/registry/minions/early');
    expect((await repair.runOnce()).released).toEqual([]);
    expect((await repair.runOnce()).released).toEqual(['10.66.4.0/24']);
    expect((await PodCidrAllocator.snapshot(api.storage))!.allocated.size).toBe(0);
  } finally {
    await api.close();
  }
}, 60_000);
