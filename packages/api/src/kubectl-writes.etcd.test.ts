// The real kubectl (1.32, on the PATH) against the API server on a real etcd, for the write verbs:
// scale (PATCH /scale), patch (strategic, json, merge), label, annotate, --dry-run=server. Until
// discovery lands (issue #19's other part), a stub in front answers /api, /api/v1 and /apis for the
// kinds used here and forwards everything else; delete the stub then and point kubectl at the server.
import http from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
const run = promisify(execFile);
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

let f: ApiFixture;
let shim: http.Server;
let kubeconfig: string;
const patches: string[] = [];
const res = (name: string, kind: string, extra: any = {}) => ({ name, singularName: '', namespaced: true, kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ...extra });
beforeAll(async () => {
  f = await startApiFixture();
  const target = new URL(f.url);
  shim = http.createServer((req, out) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/api/v1') {
      out.writeHead(200, { 'Content-Type': 'application/json' });
      out.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: 'v1', resources: [res('pods', 'Pod'), res('pods/status', 'Pod'), res('replicationcontrollers', 'ReplicationController', { shortNames: ['rc'] }), { name: 'replicationcontrollers/scale', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] }] }));
      return;
    }
    if (path === '/apis') { out.writeHead(200, { 'Content-Type': 'application/json' }); out.end(JSON.stringify({ kind: 'APIGroupList', apiVersion: 'v1', groups: [] })); return; }
    if (path === '/api') { out.writeHead(200, { 'Content-Type': 'application/json' }); out.end(JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] })); return; }
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'PATCH') patches.push(`${req.headers['content-type']} ${body.toString()}`);
      const p = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => { out.writeHead(r.statusCode!, r.headers); r.pipe(out); });
      p.end(body);
    });
  });
  await new Promise<void>((r) => shim.listen(0, '127.0.0.1', () => r()));
  const port = (shim.address() as any).port;
  const dir = mkdtempSync(join(tmpdir(), 'kc-'));
  kubeconfig = join(dir, 'config');
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\ncontexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]\nusers: [{name: u, user: {}}]\ncurrent-context: c\n`);
  const rc = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web' }, spec: { replicas: 2, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'app:1' }, { name: 'side', image: 'side:1' }] } } } };
  expect((await call(f.url, 'POST', '/api/v1/namespaces/default/replicationControllers', rc)).status).toBe(201);
}, 60_000);
afterAll(async () => { shim?.close(); await f?.stop(); }, 30_000);

const kubectl = async (...args: string[]) => {
  return (await run('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout=10s', ...args], { encoding: 'utf8', timeout: 20000 })).stdout.trim();
};
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
