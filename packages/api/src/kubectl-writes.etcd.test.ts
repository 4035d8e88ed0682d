// The real kubectl (1.32, on the PATH) against the API server on a real etcd, for the write verbs:
// scale (PATCH /scale), patch (strategic, json, merge), label, annotate, --dry-run=server. The
// server's discovery is what kubectl reads; a recording proxy in front keeps the patch bodies it
// sends, so the test can check their content types.
import http from 'node:http';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { kubeconfigFor, kubectlRunner } from '@coxswain/testing';
import { call } from './testing/wire';

let f: ApiFixture;
let recorder: http.Server;
let kubectl: (...args: string[]) => Promise<string>;
const patches: string[] = [];
beforeAll(async () => {
  f = await startApiFixture();
  const target = new URL(f.url);
  recorder = http.createServer((req, out) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'PATCH') patches.push(`${req.headers['content-type']} ${body.toString()}`);
      const p = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => { out.writeHead(r.statusCode!, r.headers); r.pipe(out); });
      p.end(body);
    });
  });
  await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', () => r()));
  kubectl = kubectlRunner(kubeconfigFor(`http://127.0.0.1:${(recorder.address() as any).port}`));
  const rc = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web' }, spec: { replicas: 2, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'app:1' }, { name: 'side', image: 'side:1' }] } } } };
  expect((await call(f.url, 'POST', '/api/v1/namespaces/default/replicationControllers', rc)).status).toBe(201);
}, 60_000);
afterAll(async () => { recorder?.close(); await f?.stop(); }, 30_000);

const RC = '/api/v1/namespaces/default/replicationControllers/web';

it('scale, the three patch types, label, annotate and a server dry run change the rc as asked', async () => {
  expect(await kubectl('scale', 'rc', 'web', '--replicas=5')).toBe('replicationcontroller/web scaled');
  expect((await call(f.url, 'GET', RC)).json.spec.replicas).toBe(5);
  expect(await kubectl('patch', 'rc', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"side:2"}]}}}}')).toBe('replicationcontroller/web patched');
  expect(patches[patches.length - 1]).toMatch(/^application\/strategic-merge-patch\+json/);
  expect((await call(f.url, 'GET', RC)).json.spec.template.spec.containers.map((c: any) => c.image)).toEqual(['app:1', 'side:2']);
  await kubectl('patch', 'rc', 'web', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":3}]');
  await kubectl('patch', 'rc', 'web', '--type', 'merge', '-p', '{"metadata":{"labels":{"m":"1"}}}');
  expect(await kubectl('label', 'rc', 'web', 'tier=front')).toBe('replicationcontroller/web labeled');
  expect(await kubectl('annotate', 'rc', 'web', 'note=hi')).toBe('replicationcontroller/web annotated');
  expect(await kubectl('scale', 'rc', 'web', '--replicas=9', '--dry-run=server')).toBe('replicationcontroller/web scaled (server dry run)');
  const rc = (await call(f.url, 'GET', RC)).json;
  expect(rc.spec.replicas).toBe(3);
  expect(rc.metadata.labels).toEqual({ m: '1', tier: 'front' });
  expect(rc.metadata.annotations).toEqual({ note: 'hi' });
  await expect(kubectl('patch', 'rc', 'web', '--type', 'json', '-p', '[{"op":"remove","path":"/spec/nothing"}]')).rejects.toThrow(/spec\/nothing/);
}, 120_000);
