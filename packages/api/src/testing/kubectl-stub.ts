// Test-only: the real kubectl (1.32, on the PATH) pointed at an API fixture. Until discovery lands
// (issue #19's other part), a stub in front answers /api, /api/v1 and /apis for the kinds a test
// names and forwards everything else; delete the stub then and point kubectl at the server.
import http from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiFixture, startApiFixture } from './api-fixture';

const run = promisify(execFile);

export interface KubectlStub {
  /** Runs kubectl with the stub's kubeconfig; resolves to trimmed stdout, rejects with stderr in the message. */
  kubectl(...args: string[]): Promise<string>;
  /** `content-type body` of every PATCH that went through. */
  patches: string[];
  close(): void;
}

export const stubResource = (name: string, kind: string, extra: Record<string, unknown> = {}) => ({
  name,
  singularName: '',
  namespaced: true,
  kind,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  ...extra,
});

export async function startKubectlStub(apiUrl: string, coreResources: unknown[]): Promise<KubectlStub> {
  const target = new URL(apiUrl);
  const patches: string[] = [];
  const answer = (out: http.ServerResponse, body: unknown) => {
    out.writeHead(200, { 'Content-Type': 'application/json' });
    out.end(JSON.stringify(body));
  };
  const shim = http.createServer((req, out) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/api/v1') return answer(out, { kind: 'APIResourceList', groupVersion: 'v1', resources: coreResources });
    if (path === '/apis') return answer(out, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    if (path === '/api') return answer(out, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'PATCH') patches.push(`${req.headers['content-type']} ${body.toString()}`);
      const p = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        out.writeHead(r.statusCode!, r.headers);
        r.pipe(out);
      });
      p.end(body);
    });
  });
  await new Promise<void>((r) => shim.listen(0, '127.0.0.1', () => r()));
  const port = (shim.address() as { port: number }).port;
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'kc-')), 'config');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\ncontexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]\nusers: [{name: u, user: {}}]\ncurrent-context: c\n`,
  );
  return {
    patches,
    close: () => shim.close(),
    kubectl: async (...args: string[]) => (await run('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout=10s', ...args], { encoding: 'utf8', timeout: 20000 })).stdout.trim(),
  };
}

/** An API fixture on etcd with kubectl (through the stub) pointed at it. */
export async function startKubectlSession(coreResources: unknown[]): Promise<{ f: ApiFixture; k: KubectlStub; stop(): Promise<void> }> {
  const f = await startApiFixture();
  const k = await startKubectlStub(f.url, coreResources);
  return { f, k, stop: async () => { k.close(); await f.stop(); } };
}
