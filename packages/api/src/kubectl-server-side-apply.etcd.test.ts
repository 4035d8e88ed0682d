// The real kubectl (1.32) doing server-side apply against the API server on a real etcd: create by
// apply, an unchanged second apply, a conflict with another field manager (409 naming the field and
// the manager), --force-conflicts taking the field, and a field dropped from the config removed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiFixture, type ApiFixture } from './testing/api-fixture';
import { kubeconfigFor, kubectlRunner } from '@coxswain/testing';
import { call } from './testing/wire';

let f: ApiFixture;
let kubectl: (...args: string[]) => Promise<string>;
const dir = mkdtempSync(join(tmpdir(), 'kc-ssa-'));
const RC = '/api/v1/namespaces/default/replicationControllers/web';
const rcFile = (name: string, replicas: number, containers: Array<Record<string, unknown>>, labels: Record<string, string> = { app: 'web' }) => {
  const file = join(dir, `${name}.yaml`);
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers } };
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web', labels }, spec: { replicas, selector: { app: 'web' }, template } }));
  return file;
};

beforeAll(async () => {
  f = await startApiFixture();
  kubectl = kubectlRunner(kubeconfigFor(f.url));
}, 60_000);
afterAll(() => f?.stop(), 30_000);

it('apply --server-side creates, is unchanged the second time, conflicts with another manager, and --force-conflicts takes the field', async () => {
  const first = rcFile('a1', 2, [{ name: 'app', image: 'app:1' }, { name: 'side', image: 'side:1' }], { app: 'web', tier: 'front' });
  expect(await kubectl('apply', '--server-side', '-f', first)).toBe('replicationcontroller/web serverside-applied');
  const created = (await call(f.url, 'GET', RC)).json;
  expect(created.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1' })]);

  expect(await kubectl('apply', '--server-side', '-f', first)).toBe('replicationcontroller/web serverside-applied');
  expect((await call(f.url, 'GET', RC)).json.metadata.resourceVersion).toBe(created.metadata.resourceVersion);

  const other = rcFile('b1', 4, [{ name: 'app', image: 'app:1' }]);
  await expect(kubectl('apply', '--server-side', '--field-manager=ops', '-f', other)).rejects.toThrow(/conflict with "kubectl".*\.spec\.replicas/s);
  expect((await call(f.url, 'GET', RC)).json.metadata.resourceVersion).toBe(created.metadata.resourceVersion);

  expect(await kubectl('apply', '--server-side', '--field-manager=ops', '--force-conflicts', '-f', other)).toBe('replicationcontroller/web serverside-applied');
  const forced = (await call(f.url, 'GET', RC)).json;
  expect(forced.spec.replicas).toBe(4);
  expect(forced.metadata.managedFields.map((e: any) => e.manager)).toEqual(['kubectl', 'ops']);

  // kubectl drops the side container and the tier label from its config: side goes (only kubectl set
  // it), tier goes; replicas stays 4 (ops owns it now).
  expect(await kubectl('apply', '--server-side', '-f', rcFile('a2', 4, [{ name: 'app', image: 'app:1' }]))).toBe('replicationcontroller/web serverside-applied');
  const after = (await call(f.url, 'GET', RC)).json;
  expect(after.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['app']);
  expect(after.metadata.labels).toEqual({ app: 'web' });
  expect(after.spec.replicas).toBe(4);
}, 120_000);
