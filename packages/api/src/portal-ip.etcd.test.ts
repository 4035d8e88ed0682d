// Portal IPs through the API, as a client of either version sees them: v1beta1 `portalIP`, v1
// `spec.clusterIP`; a bad one is a 422 naming the field the client wrote, with nothing written to
// etcd (neither the service nor the allocator's state).
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

let fx: ApiFixture;
beforeAll(async () => {
  fx = await startApiFixture({ portalNet: '172.30.0.0/24' });
});
afterAll(() => fx?.stop());

const beta = (id: string, extra: object = {}) => ({ id, kind: 'Service', apiVersion: 'v1beta1', port: 6379, containerPort: 6379, selector: { name: id }, ...extra });
const v1 = (name: string, spec: object = {}) => ({ kind: 'Service', apiVersion: 'v1', metadata: { name }, spec: { ports: [{ port: 6379 }], selector: { name }, ...spec } });

async function etcdKeys(): Promise<string[]> {
  return (await fx.dump()).kvs.map((kv) => kv.key).sort();
}

it('two services on port 6379 get different portal IPs, shown as portalIP in v1beta1 and spec.clusterIP in v1', async () => {
  const master = await call(fx.url, 'POST', '/api/v1beta1/services', beta('redis-master'));
  const slave = await call(fx.url, 'POST', '/api/v1beta1/services', beta('redisslave'));
  expect([master.status, slave.status]).toEqual([201, 201]);
  expect(master.json.portalIP).toMatch(/^172\.30\.0\.\d+$/);
  expect(slave.json.portalIP).toMatch(/^172\.30\.0\.\d+$/);
  expect(slave.json.portalIP).not.toBe(master.json.portalIP);
  const got = await call(fx.url, 'GET', '/api/v1/services/redis-master');
  expect(got.json.spec.clusterIP).toBe(master.json.portalIP);
});

it.each([
  ['v1beta1 outside the range', '/api/v1beta1/services', beta('b1', { portalIP: '10.0.0.1' }), 'portalIP', /not inside the portal network 172.30.0.0\/24/],
  ['v1beta1 malformed', '/api/v1beta1/services', beta('b2', { portalIP: '172.30.0.x' }), 'portalIP', /must be an IPv4 address/],
  ['v1beta1 taken', '/api/v1beta1/services', beta('b3', { portalIP: 'TAKEN' }), 'portalIP', /is already allocated/],
  ['v1 outside the range', '/api/v1/namespaces/default/services', v1('c1', { clusterIP: '172.31.0.1' }), 'spec.clusterIP', /not inside the portal network/],
  ['v1 taken', '/api/v1/namespaces/default/services', v1('c2', { clusterIP: 'TAKEN' }), 'spec.clusterIP', /is already allocated/],
])('refuses a portal IP %s: 422 naming the field, nothing written', async (_what, path, body, field, message) => {
  const taken = (await call(fx.url, 'GET', '/api/v1/services/redis-master')).json.spec.clusterIP;
  const sent = JSON.parse(JSON.stringify(body).replace('TAKEN', taken));
  const before = await fx.dump();
  const r = await call(fx.url, 'POST', path, sent);
  expect(r.status).toBe(422);
  expect(r.json.details.causes).toEqual([expect.objectContaining({ field, message: expect.stringMatching(message) })]);
  const after = await fx.dump();
  expect(after.revision).toBe(before.revision);
});

it('refuses a changed portal IP on update (422 naming portalIP) and keeps the old one', async () => {
  const current = (await call(fx.url, 'GET', '/api/v1beta1/services/redisslave')).json;
  const keysBefore = await etcdKeys();
  const before = await fx.dump();
  const r = await call(fx.url, 'PUT', '/api/v1beta1/services/redisslave', { ...current, portalIP: '172.30.0.200' });
  expect(r.status).toBe(422);
  expect(r.json.details.causes).toEqual([expect.objectContaining({ field: 'portalIP', message: `may not be changed (allocated ${current.portalIP})` })]);
  expect((await fx.dump()).revision).toBe(before.revision);
  expect(await etcdKeys()).toEqual(keysBefore);
  // Sent back unchanged (as kubecfg update does), the update goes through.
  const same = await call(fx.url, 'PUT', '/api/v1beta1/services/redisslave', { ...current, selector: { name: 'redisslave', tier: 'cache' } });
  expect(same.status).toBe(200);
  expect(same.json.portalIP).toBe(current.portalIP);
});
