// `kubecfg create configmap|secret NAME --from-literal/--from-file`, `get` and `describe` against a
// real API server on etcd: the keys land as sent (a Secret's base64), and describe prints a Secret's
// keys by size, never its values.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConfigMap, Secret } from '@coxswain/objects';
import { ClusterHarness, startClusterHarness, tableCells } from './testing/cluster-harness';

let h: ClusterHarness;
let scratch: string;
beforeAll(async () => {
  h = await startClusterHarness();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kubecfg-config-'));
}, 60_000);
afterAll(async () => {
  await h?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}, 30_000);

it('creates a ConfigMap from literals, a file under a key and a directory', async () => {
  fs.writeFileSync(path.join(scratch, 'nginx.conf'), 'worker_processes 1;\n');
  fs.mkdirSync(path.join(scratch, 'dir'));
  fs.writeFileSync(path.join(scratch, 'dir', 'a.txt'), 'A');
  fs.writeFileSync(path.join(scratch, 'dir', 'logo.bin'), Buffer.from([0xff, 0xfe, 0x00]));
  const r = await h.kubecfg(['create', 'configmap', 'web', '--from-literal', 'mode=fast', '--from-literal=greeting=a=b', `--from-file=site.conf=${path.join(scratch, 'nginx.conf')}`, '--from-file', path.join(scratch, 'dir')]);
  expect(r).toMatchObject({ code: 0, stdout: 'configmap/web created\n' });
  const cm = await h.store.get<ConfigMap>('configmaps', 'default', 'web');
  expect(cm.data).toEqual({ mode: 'fast', greeting: 'a=b', 'site.conf': 'worker_processes 1;\n', 'a.txt': 'A' });
  expect(cm.binaryData).toEqual({ 'logo.bin': Buffer.from([0xff, 0xfe, 0x00]).toString('base64') });
  const get = await h.kubecfg(['get', 'cm']);
  expect(tableCells(get.stdout)[0]).toEqual(['NAME', 'DATA', 'AGE']);
  expect(tableCells(get.stdout)[1]!.slice(0, 2)).toEqual(['web', '5']);
});

it('creates a Secret (kubectl\'s "generic" word too); describe shows sizes, not the value', async () => {
  const r = await h.kubecfg(['create', 'secret', 'generic', 'db', '--from-literal', 'password=hunter2-s3cr3t', '--from-literal', 'user=admin']);
  expect(r).toMatchObject({ code: 0, stdout: 'secret/db created\n' });
  const secret = await h.store.get<Secret>('secrets', 'default', 'db');
  expect(secret.type).toBe('Opaque');
  expect(Buffer.from(secret.data!.password!, 'base64').toString()).toBe('hunter2-s3cr3t');
  const get = await h.kubecfg(['get', 'secrets']);
  expect(tableCells(get.stdout)[1]!.slice(0, 3)).toEqual(['db', 'Opaque', '2']);
  const described = await h.kubecfg(['describe', 'secret', 'db']);
  expect(described.code).toBe(0);
  expect(described.stdout).toMatch(/password:\s+14 bytes/);
  expect(described.stdout).not.toContain('hunter2');
  expect(described.stdout).not.toContain(secret.data!.password);
});

it.each([
  [['create', 'configmap', 'x', '--from-literal', 'novalue'], /must be KEY=VALUE/],
  [['create', 'configmap', 'x', '--from-file', '/nonexistent/coxswain-file'], /no such file/],
  [['create', 'secret', 'x', '--from-literal', 'a=1', '--from-literal', 'a=2'], /"a" is given more than once/],
  [['create', 'configmap'], /exactly one NAME/],
  [['create', 'configmap', 'x', '--from-literal', 'conf/a=1'], /data\["conf\/a"\].*no '\/'/],
])('%j fails with a clear error, nothing created', async (argv, message) => {
  const r = await h.kubecfg(argv);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(message);
  await expect(h.store.get('configmaps', 'default', 'x')).rejects.toThrow();
  await expect(h.store.get('secrets', 'default', 'x')).rejects.toThrow();
});
