// The real kubectl (1.32) reading the OpenAPI v3 documents: explain, and validation on create/apply.
// kubectl 1.32 reads the PATCH operation's parameters in the v3 document: as the server takes
// fieldValidation, kubectl sends fieldValidation=Strict and prints the server's 422 (as against a
// Kubernetes server), instead of validating against OpenAPI v2 itself.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiFixture, type ApiFixture } from './testing/api-fixture';
import { kubeconfigFor, kubectlRunner } from '@coxswain/testing';
import { call } from './testing/wire';

let f: ApiFixture;
let kubectl: (...args: string[]) => Promise<string>;
const dir = mkdtempSync(join(tmpdir(), 'kc-openapi-'));
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
