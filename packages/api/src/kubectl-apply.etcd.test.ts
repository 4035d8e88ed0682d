// The real kubectl (1.32) applying manifests against the API server on a real etcd.
// - OpenAPI v3: explain, and validation on create/apply. kubectl reads the PATCH operation's
//   parameters in the v3 document: as the server takes fieldValidation, kubectl sends
//   fieldValidation=Strict and prints the server's 422, instead of validating against OpenAPI v2.
// - Server-side apply: create by apply, an unchanged second apply, a conflict with another field
//   manager (409 naming the field and the manager), --force-conflicts taking the field, and a field
//   dropped from the config removed.
// - managedFields Update entries for the other writes (create, label, patch, replace: POST, PATCH,
//   PUT), named by ?fieldManager or the User-Agent, which a later apply then conflicts with.
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

const podFile = (name: string, container: Record<string, unknown>) => {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', ...container }] } }));
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

it('explain pod.spec.containers prints the container fields from the generated schema', async () => {
  const out = await kubectl('explain', 'pod.spec.containers');
  expect(out).toMatch(/KIND:\s+Pod/);
  expect(out).toMatch(/VERSION:\s+v1/);
  for (const field of ['image', 'name', 'ports', 'env']) expect(out).toMatch(new RegExp(`^\\s+${field}\\s`, 'm'));
}, 60_000);

it('create and apply with --validate=strict accept a good pod and kubectl reports a misspelled field, creating nothing', async () => {
  expect(await kubectl('create', '--validate=strict', '-f', podFile('good', { image: 'nginx' }))).toBe('pod/good created');
  expect(await kubectl('apply', '--validate=strict', '-f', podFile('applied', { image: 'nginx' }))).toBe('pod/applied created');
  expect((await call(f.url, 'GET', '/api/v1/namespaces/default/pods/applied')).status).toBe(200);
  await expect(kubectl('create', '--validate=strict', '-f', podFile('typo', { imagee: 'nginx' }))).rejects.toThrow(/spec\.containers\[0\]\.imagee: unknown field/);
  expect((await call(f.url, 'GET', '/api/v1/namespaces/default/pods/typo')).status).toBe(404);
}, 60_000);

it('create, label, patch and replace record Update managers (get --show-managed-fields), and an apply conflicts with the last writer', async () => {
  const POD = '/api/v1/namespaces/default/pods/owned';
  expect(await kubectl('create', '-f', podFile('owned', { image: 'app:1' }))).toBe('pod/owned created');
  expect(await kubectl('label', 'pod', 'owned', 'tier=db')).toBe('pod/owned labeled');
  expect(await kubectl('patch', 'pod', 'owned', '-p', '{"spec":{"containers":[{"name":"app","image":"app:2"}]}}')).toBe('pod/owned patched');
  const yaml = await kubectl('get', 'pod', 'owned', '-o', 'yaml', '--show-managed-fields');
  for (const manager of ['kubectl-create', 'kubectl-label', 'kubectl-patch']) expect(yaml).toMatch(new RegExp(`manager: ${manager}\\n\\s+operation: Update\\n`));
  expect(await kubectl('get', 'pod', 'owned', '-o', 'yaml')).not.toContain('managedFields');
  const owners = async () =>
    Object.fromEntries(
      ((await call(f.url, 'GET', POD)).json.metadata.managedFields as Array<{ manager: string; operation: string; fieldsV1: unknown }>).map((e) => [`${e.manager} ${e.operation}`, JSON.stringify(e.fieldsV1)]),
    );
  let fields = await owners();
  // The image moved from its creator to the patcher; the creator keeps the name; the label is the labeller's.
  expect(fields['kubectl-patch Update']).toBe('{"f:spec":{"f:containers":{"k:{\\"name\\":\\"app\\"}":{"f:image":{}}}}}');
  expect(fields['kubectl-create Update']).toContain('"f:name":{}');
  expect(fields['kubectl-create Update']).not.toContain('f:image');
  expect(fields['kubectl-label Update']).toBe('{"f:metadata":{"f:labels":{"f:tier":{}}}}');

  // replace (PUT) takes the image; a PUT that changes nothing writes nothing.
  const live = (await call(f.url, 'GET', POD)).json;
  live.spec.containers[0].image = 'app:3';
  delete live.metadata.managedFields;
  writeFileSync(join(dir, 'owned-3.json'), JSON.stringify(live));
  expect(await kubectl('replace', '-f', join(dir, 'owned-3.json'))).toBe('pod/owned replaced');
  fields = await owners();
  expect(Object.keys(fields).sort()).toEqual(['kubectl-create Update', 'kubectl-label Update', 'kubectl-replace Update']);
  const replaced = (await call(f.url, 'GET', POD)).json;
  const again = await call(f.url, 'PUT', POD, { ...replaced, metadata: { ...replaced.metadata, managedFields: undefined } }, { 'user-agent': 'my-tool/1.0 (linux)' });
  expect(again.status).toBe(200);
  expect(again.json.metadata.resourceVersion).toBe(replaced.metadata.resourceVersion);
  // Without ?fieldManager the manager is the User-Agent up to its first "/".
  const annotated = await call(f.url, 'PATCH', POD, { metadata: { annotations: { note: 'x' } } }, { 'Content-Type': 'application/merge-patch+json', 'user-agent': 'my-tool/1.0 (linux)' });
  expect(annotated.json.metadata.managedFields.find((e: any) => e.manager === 'my-tool')).toMatchObject({ operation: 'Update', apiVersion: 'v1', fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:note': {} } } } });

  await expect(kubectl('apply', '--server-side', '-f', podFile('owned', { image: 'app:4' }))).rejects.toThrow(/conflict with "kubectl-replace".*\.spec\.containers\[name="app"\]\.image/s);
  const tooLong = await call(f.url, 'PATCH', `${POD}?fieldManager=${'m'.repeat(129)}`, { metadata: { labels: { x: 'y' } } }, { 'Content-Type': 'application/merge-patch+json' });
  expect(tooLong.status).toBe(400);
  expect(tooLong.json.details.causes).toEqual([expect.objectContaining({ field: 'fieldManager' })]);
  expect((await call(f.url, 'GET', POD)).json.metadata.labels).toEqual({ tier: 'db' });
}, 120_000);
