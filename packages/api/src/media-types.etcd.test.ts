// What a create or an update may be sent as (issue #18): JSON, YAML under application/yaml, and JSON
// with no Content-Type at all (the Kubernetes API server reads that as its first media type, JSON);
// anything else is a 415 (bad-requests.etcd.test.ts holds the refusals).
import http from 'node:http';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

let f: ApiFixture;
beforeAll(async () => (f = await startApiFixture()), 30_000);
afterAll(() => f?.stop(), 30_000);

const PODS = '/api/v1/namespaces/default/pods';

/** A request with exactly the headers given (fetch would add a text/plain Content-Type to a string body). */
function rawPost(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${f.url}${path}`, { method: 'POST', headers: { 'Content-Length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('media types of a body', () => {
  it('creates a pod sent as YAML and serves it back as JSON', async () => {
    const yaml = ['kind: Pod', 'apiVersion: v1', 'metadata:', '  name: from-yaml', '  labels: {app: web}', 'spec:', '  containers:', '  - name: c', '    image: busybox:1.36', '    resources: {limits: {memory: 64Mi}}', ''].join('\n');
    const r = await call(f.url, 'POST', PODS, yaml, { 'Content-Type': 'application/yaml' });
    expect(r.status).toBe(201);
    const got = await call(f.url, 'GET', `${PODS}/from-yaml`);
    expect(got.json.metadata.labels).toEqual({ app: 'web' });
    expect(got.json.spec.containers[0]).toMatchObject({ image: 'busybox:1.36', resources: { limits: { memory: '64Mi' } } });
  });

  it('updates with a YAML PUT', async () => {
    const current = (await call(f.url, 'GET', `${PODS}/from-yaml`)).json;
    const yaml = `kind: Pod\napiVersion: v1\nmetadata: {name: from-yaml, labels: {app: web, tier: front}, resourceVersion: "${current.metadata.resourceVersion}"}\nspec:\n  containers: [{name: c, image: "busybox:1.36"}]\n`;
    const r = await call(f.url, 'PUT', `${PODS}/from-yaml`, yaml, { 'Content-Type': 'application/yaml; charset=utf-8' });
    expect(r.status).toBe(200);
    expect(r.json.metadata.labels).toEqual({ app: 'web', tier: 'front' });
  });

  it('reads a body without a Content-Type as JSON, as Kubernetes does', async () => {
    const body = JSON.stringify({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'no-type' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    expect((await rawPost(PODS, body, {})).status).toBe(201);
    const yaml = await rawPost(PODS, 'kind: Pod\nmetadata: {name: yaml-without-type}\n', {});
    expect(yaml.status).toBe(400);
    expect(yaml.json.message).toContain('malformed JSON');
  });

  it('takes application/json with a charset', async () => {
    const body = JSON.stringify({ kind: 'Pod', metadata: { name: 'charset' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    expect((await rawPost(PODS, body, { 'Content-Type': 'application/json; charset=utf-8' })).status).toBe(201);
  });

  it('refuses text/plain with a Status naming the accepted types', async () => {
    const r = await rawPost(PODS, '{}', { 'Content-Type': 'text/plain' });
    expect(r).toEqual({
      status: 415,
      json: expect.objectContaining({ kind: 'Status', status: 'Failure', code: 415, reason: 'UnsupportedMediaType', message: expect.stringContaining('application/json, application/yaml') }),
    });
  });
});
