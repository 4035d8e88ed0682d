// Portal IPs through the registry on MemoryStorage: what a user creating, updating and deleting
// services sees, and what the allocator's stored state says afterwards.
import { InvalidError, type Service } from '@coxswain/objects';
import { MemoryStorage } from '@coxswain/store';
import { PortalAllocator } from './portal-allocator';
import { PortalRange } from './portal-range';
import { Registry, REGISTRY_MIRRORS } from './registry';

function setup(cidr = '10.99.0.0/29') {
  const storage = new MemoryStorage({ mirrors: REGISTRY_MIRRORS });
  const portals = new PortalAllocator(storage, PortalRange.parse(cidr));
  return { registry: new Registry(storage, { portals }), portals, storage };
}

function service(name: string, clusterIP?: string): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 6379 }], selector: { name }, ...(clusterIP ? { clusterIP } : {}) } };
}

async function invalidCause(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidError);
  const causes = (err as InvalidError).causes;
  expect(causes).toHaveLength(1);
  return `${causes[0].field}: ${causes[0].message}`;
}

describe('portal IPs', () => {
  it('gives each service its own address inside the range, never the network or broadcast address', async () => {
    const { registry } = setup();
    const ips = [];
    for (let i = 0; i < 6; i++) ips.push((await registry.create(service(`s${i}`))).spec.clusterIP);
    expect(ips).toEqual(['10.99.0.1', '10.99.0.2', '10.99.0.3', '10.99.0.4', '10.99.0.5', '10.99.0.6']);
    const listed = (await registry.list<Service>('services')).items.map((s) => s.spec.clusterIP).sort();
    expect(listed).toEqual([...ips].sort());
  });

  it('an exhausted range is a 422 naming the range, and nothing is written', async () => {
    const { registry } = setup('10.99.0.0/30'); // 2 usable addresses
    await registry.create(service('a'));
    await registry.create(service('b'));
    expect(await invalidCause(registry.create(service('c')))).toBe(
      'spec.clusterIP: no free portal IP: all 2 addresses of 10.99.0.0/30 are allocated (delete a service or widen --portal-net)',
    );
    expect((await registry.list('services')).items.map((s) => s.metadata.name)).toEqual(['a', 'b']);
  });

  it('delete releases the address; a recreated service reuses it and no two services share one', async () => {
    const { registry, portals } = setup();
    for (let i = 0; i < 6; i++) await registry.create(service(`s${i}`));
    const freed = (await registry.delete<Service>('services', 'default', 's2')).spec.clusterIP!;
    expect(await portals.allocated()).not.toContain(freed);
    expect((await registry.create(service('again'))).spec.clusterIP).toBe(freed);
    const all = (await registry.list<Service>('services')).items.map((s) => s.spec.clusterIP);
    expect(new Set(all).size).toBe(6);
    expect([...(await portals.allocated())].sort()).toEqual([...all].sort());
  });

  it('honours a portal IP the user asks for when it is free and inside the range', async () => {
    const { registry } = setup();
    expect((await registry.create(service('mine', '10.99.0.5'))).spec.clusterIP).toBe('10.99.0.5');
    // The next automatic one skips it only when reached.
    for (let i = 1; i <= 5; i++) expect((await registry.create(service(`s${i}`))).spec.clusterIP).not.toBe('10.99.0.5');
  });

  it.each([
    ['outside the range', '10.99.1.5', 'spec.clusterIP: "10.99.1.5" is not inside the portal network 10.99.0.0/29 (or is its network or broadcast address)'],
    ['the broadcast address', '10.99.0.7', 'spec.clusterIP: "10.99.0.7" is not inside the portal network 10.99.0.0/29 (or is its network or broadcast address)'],
    ['malformed', '10.99.0.300', 'spec.clusterIP: "10.99.0.300" must be an IPv4 address such as 172.30.0.10'],
    ['not an address', 'redis', 'spec.clusterIP: "redis" must be an IPv4 address such as 172.30.0.10'],
  ])('refuses a portal IP %s with a 422 naming the field, writing nothing', async (_what, ip, cause) => {
    const { registry, portals } = setup();
    expect(await invalidCause(registry.create(service('bad', ip)))).toBe(cause);
    expect((await registry.list('services')).items).toEqual([]);
    expect(await portals.allocated()).toEqual(new Set());
  });

  it('refuses a portal IP already taken, keeping the holder and writing nothing', async () => {
    const { registry, portals } = setup();
    await registry.create(service('first', '10.99.0.3'));
    expect(await invalidCause(registry.create(service('second', '10.99.0.3')))).toBe('spec.clusterIP: "10.99.0.3" is already allocated to another service');
    expect((await registry.list('services')).items.map((s) => s.metadata.name)).toEqual(['first']);
    expect(await portals.allocated()).toEqual(new Set(['10.99.0.3']));
  });

  it('keeps the address on update: left out it is kept, repeated it is fine, changed it is a 422', async () => {
    const { registry } = setup();
    const created = await registry.create(service('s'));
    const { clusterIP: _ip, ...specWithout } = created.spec;
    const kept = await registry.update<Service>({ ...created, spec: { ...specWithout, selector: { name: 'other' } } });
    expect(kept.spec.clusterIP).toBe(created.spec.clusterIP);
    await registry.update<Service>({ ...kept, metadata: { ...kept.metadata, resourceVersion: undefined } });
    expect(await invalidCause(registry.update<Service>({ ...kept, metadata: { ...kept.metadata, resourceVersion: undefined }, spec: { ...kept.spec, clusterIP: '10.99.0.6' } }))).toBe(
      `spec.clusterIP: may not be changed (allocated ${created.spec.clusterIP})`,
    );
    expect((await registry.get<Service>('services', 'default', 's')).spec.clusterIP).toBe(created.spec.clusterIP);
  });

  it('a create that fails after allocating (the name is taken) gives the address back', async () => {
    const { registry, portals } = setup();
    await registry.create(service('s'));
    await expect(registry.create(service('s'))).rejects.toThrow(/already exists/);
    expect(await portals.allocated()).toEqual(new Set(['10.99.0.1']));
  });
});

describe('PortalRange.parse', () => {
  it.each([
    ['172.30.0.1/24', 'portal network "172.30.0.1/24": host bits are set (the network is 172.30.0.0/24)'],
    ['172.30.0.0', 'portal network "172.30.0.0": want an IPv4 CIDR from /8 to /30, e.g. 172.30.0.0/24'],
    ['172.30.0.0/31', 'portal network "172.30.0.0/31": want an IPv4 CIDR from /8 to /30, e.g. 172.30.0.0/24'],
  ])('refuses %s', (cidr, message) => {
    expect(() => PortalRange.parse(cidr)).toThrow(message);
  });
});
