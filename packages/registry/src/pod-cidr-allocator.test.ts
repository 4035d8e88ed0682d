// Pod subnets through the registry on MemoryStorage: what an operator registering, re-registering
// and removing minions sees, and what the allocator's stored state says afterwards.
import { InvalidError, type Minion } from '@coxswain/objects';
import { MemoryStorage } from '@coxswain/store';
import { PodCidrAllocator } from './pod-cidr-allocator';
import { PodCidrRange } from './pod-cidr-range';
import { Registry, REGISTRY_MIRRORS } from './registry';

function setup(cluster = '172.30.0.0/16', reserved = ['172.30.0.0/24'], mask = 24) {
  const storage = new MemoryStorage({ mirrors: REGISTRY_MIRRORS });
  const podCidrs = new PodCidrAllocator(storage, PodCidrRange.of(cluster, mask, reserved));
  return { registry: new Registry(storage, { podCidrs }), storage };
}

function minion(name: string, podCIDR?: string): Minion {
  return { apiVersion: 'v1', kind: 'Minion', metadata: { name }, spec: podCIDR ? { podCIDR } : {}, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } };
}

async function cause(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidError);
  return (err as InvalidError).causes.map((c) => `${c.field}: ${c.message}`).join('; ');
}

const cidrOf = async (r: Registry, name: string) => (await r.get<Minion>('minions', undefined, name)).spec?.podCIDR;

describe('pod subnets', () => {
  it('gives each new minion its own /24 of the cluster CIDR, never the portal network', async () => {
    const { registry } = setup();
    const got = [];
    for (const n of ['a', 'b', 'c']) got.push((await registry.create(minion(n))).spec?.podCIDR);
    expect(got).toEqual(['172.30.1.0/24', '172.30.2.0/24', '172.30.3.0/24']);
  });

  it('honours a subnet asked for when free; a taken one is a 422 naming it, and nothing is written', async () => {
    const { registry } = setup();
    expect((await registry.create(minion('a', '172.30.7.0/24'))).spec?.podCIDR).toBe('172.30.7.0/24');
    expect(await cause(registry.create(minion('b', '172.30.7.0/24')))).toBe('spec.podCIDR: "172.30.7.0/24" is already allocated to another minion');
    expect((await registry.list('minions')).items.map((m) => m.metadata.name)).toEqual(['a']);
    // The next one handed out skips the taken subnet only.
    expect((await registry.create(minion('c'))).spec?.podCIDR).toBe('172.30.1.0/24');
  });

  it('refuses a subnet outside the cluster CIDR, of the wrong size, or over the portal network', async () => {
    const { registry } = setup();
    expect(await cause(registry.create(minion('a', '10.1.0.0/24')))).toBe('spec.podCIDR: "10.1.0.0/24" is not inside the cluster CIDR 172.30.0.0/16');
    expect(await cause(registry.create(minion('a', '172.30.8.0/23')))).toBe('spec.podCIDR: "172.30.8.0/23" must be a /24 (the cluster\'s --node-cidr-mask-size)');
    expect(await cause(registry.create(minion('a', '172.30.0.0/24')))).toBe('spec.podCIDR: "172.30.0.0/24" overlaps 172.30.0.0/24, reserved for portal IPs');
    expect((await registry.list('minions')).items).toHaveLength(0);
  });

  it('a removed minion gives its subnet back; one registering next takes it', async () => {
    const { registry } = setup();
    await registry.create(minion('a'));
    await registry.create(minion('b'));
    await registry.delete('minions', undefined, 'a');
    expect((await registry.create(minion('c'))).spec?.podCIDR).toBe('172.30.1.0/24');
  });

  it('a full range is a 422 saying so', async () => {
    const { registry } = setup('10.8.0.0/22', []);
    for (const n of ['a', 'b', 'c', 'd']) await registry.create(minion(n));
    expect(await cause(registry.create(minion('e')))).toBe(
      'spec.podCIDR: no free pod CIDR: all 4 /24 subnets of 10.8.0.0/22 are allocated (remove a minion or widen --cluster-cidr)',
    );
  });

  it('an update may repeat or leave out the subnet, never change it', async () => {
    const { registry } = setup();
    await registry.create(minion('a'));
    const stored = await registry.get<Minion>('minions', undefined, 'a');
    await registry.update({ ...stored, metadata: { ...stored.metadata, labels: { x: '1' } }, spec: {} });
    expect(await cidrOf(registry, 'a')).toBe('172.30.1.0/24');
    const again = await registry.get<Minion>('minions', undefined, 'a');
    expect(await cause(registry.update({ ...again, spec: { podCIDR: '172.30.9.0/24' } }))).toBe('spec.podCIDR: may not be changed (allocated 172.30.1.0/24)');
  });

  it('a writer with no flags of its own (a kubelet) allocates from the range stored by the API server', async () => {
    const { registry: api, storage } = setup('10.9.0.0/16', []);
    await api.ensureRanges();
    const kubeletSide = new Registry(storage, { podCidrs: new PodCidrAllocator(storage) });
    expect((await kubeletSide.create(minion('k'))).spec?.podCIDR).toBe('10.9.0.0/24');
    expect((await api.create(minion('l'))).spec?.podCIDR).toBe('10.9.1.0/24');
  });

  it('with no range stored anywhere, a minion keeps the subnet it sent', async () => {
    const storage = new MemoryStorage({ mirrors: REGISTRY_MIRRORS });
    const registry = new Registry(storage, { podCidrs: new PodCidrAllocator(storage) });
    expect((await registry.create(minion('k', '192.168.5.0/24'))).spec?.podCIDR).toBe('192.168.5.0/24');
    expect((await registry.create(minion('l'))).spec?.podCIDR).toBeUndefined();
  });
});

describe('PodCidrRange flags', () => {
  it('names the flag and the problem', () => {
    expect(() => PodCidrRange.of('172.30.0.1/16')).toThrow('--cluster-cidr "172.30.0.1/16": host bits are set (the network is 172.30.0.0/16)');
    expect(() => PodCidrRange.of('nonsense')).toThrow('--cluster-cidr "nonsense": want an IPv4 CIDR from /8 to /28');
    expect(() => PodCidrRange.of('172.30.0.0/16', 12)).toThrow('--node-cidr-mask-size 12: want 16..30');
    expect(PodCidrRange.parse(PodCidrRange.of('172.30.0.0/16', 24, ['172.30.0.0/24']).cidr).capacity).toBe(255);
  });
});
