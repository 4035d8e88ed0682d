// The guestbook manifests in 2014's v1beta1 format (examples/guestbook-2014), posted verbatim:
// all accepted, both Redis services on 6379 with their own portal IPs, the frontend's label value
// with a comma kept as written and selectable by a selector map; v1 keeps its stricter values.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { selectorFromMap } from '@coxswain/objects';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

const DIR = join(__dirname, '../../../examples/guestbook-2014');
const manifest = (file: string) => JSON.parse(readFileSync(join(DIR, file), 'utf8'));
const PATHS: Record<string, string> = { Pod: 'pods', Service: 'services', ReplicationController: 'replicationControllers' };

let fx: ApiFixture;
beforeAll(async () => {
  fx = await startApiFixture({ portalNet: '172.30.0.0/24' });
});
afterAll(() => fx?.stop());

it('takes every 2014 manifest verbatim', async () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  expect(files).toHaveLength(5);
  for (const file of files) {
    const body = manifest(file);
    const r = await call(fx.url, 'POST', `/api/v1beta1/${PATHS[body.kind]}`, body);
    expect({ file, status: r.status, body: r.status === 201 ? undefined : r.json }).toEqual({ file, status: 201, body: undefined });
  }
  const fe = await call(fx.url, 'GET', '/api/v1beta1/replicationControllers/frontend-controller');
  expect(fe.json.desiredState.podTemplate.labels).toEqual({ name: 'frontend', uses: 'redisslave,redis-master' });
  const master = (await call(fx.url, 'GET', '/api/v1beta1/services/redis-master')).json;
  const slave = (await call(fx.url, 'GET', '/api/v1beta1/services/redisslave')).json;
  expect([master.port, slave.port]).toEqual([6379, 6379]);
  expect(master.portalIP).not.toBe(slave.portalIP);
});

it('a comma value cannot be written in a selector string, but a selector map selects it', async () => {
  const svc = { id: 'uses-both', kind: 'Service', apiVersion: 'v1beta1', port: 80, selector: { uses: 'redisslave,redis-master' } };
  expect((await call(fx.url, 'POST', '/api/v1beta1/services', svc)).status).toBe(201);
  const template = (await call(fx.url, 'GET', '/api/v1beta1/replicationControllers/frontend-controller')).json.desiredState.podTemplate.labels;
  expect(selectorFromMap(svc.selector).matches(template)).toBe(true);
  // In a query string the comma separates requirements ("uses=redisslave" and "has a label redis-master"),
  // so the value cannot be asked for there: the query finds nothing.
  const listed = await call(fx.url, 'GET', `/api/v1beta1/pods?labels=${encodeURIComponent('uses=redisslave,redis-master')}`);
  expect({ status: listed.status, items: listed.json.items }).toEqual({ status: 200, items: [] });
});

it('v1 keeps its own rule: a comma in a label value is a 422 naming the field', async () => {
  const body = { kind: 'Service', apiVersion: 'v1', metadata: { name: 'v1-comma', labels: { uses: 'a,b' } }, spec: { ports: [{ port: 80 }] } };
  const r = await call(fx.url, 'POST', '/api/v1/namespaces/default/services', body);
  expect(r.status).toBe(422);
  expect(r.json.details.causes).toEqual([expect.objectContaining({ field: 'metadata.labels', message: expect.stringContaining('invalid value for "uses"') })]);
});
