// Secrets encrypted at rest (`coxswain apiserver --encryption-provider-config`) on a real etcd: the
// raw value carries Kubernetes' k8s:enc:aesgcm:v1:<key>: prefix and no plaintext while the API
// answers the value; a rotation (new key first, old key second) still reads old Secrets and a
// rewrite moves them to the new key; an API server without the old key cannot read them; ConfigMaps
// stay plain.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEtcd, type EtcdHarness } from '@coxswain/testing';
import type { Secret } from '@coxswain/objects';
import { runApiServer, type ApiServerHandle } from './api-server-command';

jest.setTimeout(30_000);

const VALUE = 'hunter2-at-rest';
let etcd: EtcdHarness;
let dir: string;
let servers: ApiServerHandle[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-at-rest-'));
});
afterAll(async () => {
  await etcd?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

const key = () => randomBytes(32).toString('base64');

function config(name: string, providers: string[]): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, ['apiVersion: apiserver.config.k8s.io/v1', 'kind: EncryptionConfiguration', 'resources:', '  - resources: [secrets]', '    providers:', ...providers.map((p) => `      - ${p}`), ''].join('\n'));
  return file;
}
const aesgcm = (...keys: [string, string][]) => `aesgcm: { keys: [${keys.map(([n, s]) => `{ name: ${n}, secret: "${s}" }`).join(', ')}] }`;

async function apiServer(encryptionProviderConfig?: string): Promise<ApiServerHandle> {
  const s = await runApiServer({ etcdServers: etcd.endpoints, port: 0, metricsResolutionMs: 0, encryptionProviderConfig });
  servers.push(s);
  return s;
}

async function call(s: ApiServerHandle, method: string, url: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${s.url}${url}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

const secretBody = (name: string, ns: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, stringData: { password: VALUE } });

/** The bytes etcd holds for the Secret, read behind the API's back. */
async function raw(ns: string, name: string): Promise<Buffer> {
  const value = await etcd.client().get(`/registry/secrets/${ns}/${name}`).buffer();
  if (!value) throw new Error(`no etcd key for secret ${ns}/${name}`);
  return value;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

it('stores a Secret encrypted with the first key (prefix k8s:enc:aesgcm:v1:<key>:, no plaintext) and answers its value through the API; a ConfigMap stays plain', async () => {
  const s = await apiServer(config('one', [aesgcm(['key1', key()]), 'identity: {}']));
  expect((await call(s, 'POST', '/api/v1/namespaces/default/secrets', secretBody('db', 'default'))).status).toBe(201);
  const stored = await raw('default', 'db');
  expect(stored.subarray(0, 'k8s:enc:aesgcm:v1:key1:'.length).toString()).toBe('k8s:enc:aesgcm:v1:key1:');
  for (const clear of [VALUE, b64(VALUE), '"password"', '"db"']) expect(stored.includes(Buffer.from(clear))).toBe(false);

  const got = await call(s, 'GET', '/api/v1/namespaces/default/secrets/db');
  expect(got.status).toBe(200);
  expect(Buffer.from(got.json.data.password, 'base64').toString()).toBe(VALUE);
  const listed = await call(s, 'GET', '/api/v1/secrets');
  expect(listed.json.items.map((i: Secret) => i.metadata.name)).toEqual(['db']);

  await call(s, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' }, data: { greeting: 'hello-plain' } });
  expect((await etcd.client().get('/registry/configmaps/default/plain').string())).toContain('hello-plain');
});

it('after a rotation (new key first, old key second) reads the old Secret, writes new ones with the new key, and a rewrite re-encrypts the old one; without the old key it cannot be read', async () => {
  const old = key();
  const first = await apiServer(config('before', [aesgcm(['old', old])]));
  await call(first, 'POST', '/api/v1/namespaces/default/secrets', secretBody('rotated', 'default'));
  expect((await raw('default', 'rotated')).toString('latin1')).toMatch(/^k8s:enc:aesgcm:v1:old:/);
  await first.close();

  const rotated = await apiServer(config('after', [aesgcm(['new', key()], ['old', old])]));
  const before = await call(rotated, 'GET', '/api/v1/namespaces/default/secrets/rotated');
  expect(before.status).toBe(200);
  expect(Buffer.from(before.json.data.password, 'base64').toString()).toBe(VALUE);
  await call(rotated, 'POST', '/api/v1/namespaces/default/secrets', secretBody('fresh', 'default'));
  expect((await raw('default', 'fresh')).toString('latin1')).toMatch(/^k8s:enc:aesgcm:v1:new:/);

  // The rewrite kubectl's `get secrets -o json | kubectl replace -f -` makes: unchanged, yet re-encrypted.
  const put = await call(rotated, 'PUT', '/api/v1/namespaces/default/secrets/rotated', before.json);
  expect(put.status).toBe(200);
  expect((await raw('default', 'rotated')).toString('latin1')).toMatch(/^k8s:enc:aesgcm:v1:new:/);
  const after = await call(rotated, 'GET', '/api/v1/namespaces/default/secrets/rotated');
  expect(Buffer.from(after.json.data.password, 'base64').toString()).toBe(VALUE);
  await rotated.close();

  // An API server that has only a different key cannot open them, and says so.
  const stranger = await apiServer(config('stranger', [aesgcm(['other', key()])]));
  const refused = await call(stranger, 'GET', '/api/v1/namespaces/default/secrets/rotated');
  expect(refused.status).toBe(500);
  expect(JSON.stringify(refused.json)).toMatch(/no configured key for k8s:enc:aesgcm:v1:new:/);
});

it('refuses a bad configuration at start-up, naming the file and the field', async () => {
  await expect(apiServer(config('short', ['aesgcm: { keys: [{ name: k, secret: c2hvcnQ= }] }']))).rejects.toThrow(
    /short\.yaml: resources\[0\]\.providers\[0\]\.aesgcm\.keys\[0\]\.secret: must be the base64 of a 16, 24 or 32-byte key/,
  );
  const pods = path.join(dir, 'pods.yaml');
  fs.writeFileSync(pods, `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [pods]\n    providers: [{ identity: {} }]\n`);
  await expect(apiServer(pods)).rejects.toThrow(/pods\.yaml: resources: "pods" cannot be encrypted at rest \(only secrets\)/);
  await expect(apiServer(path.join(dir, 'missing.yaml'))).rejects.toThrow(/--encryption-provider-config .*missing\.yaml: ENOENT/);
});
