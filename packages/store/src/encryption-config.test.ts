// The encryption configuration and its providers without etcd: Kubernetes' value formats, reads
// with any configured key, writes with the first, the etcd key bound into AES-GCM, identity first
// (decrypting) still reading encrypted values, and bad files refused naming the field.
import { randomBytes } from 'node:crypto';
import { parseEncryptionConfig } from './encryption-config';

const KEY = '/registry/secrets/default/db';
const plain = Buffer.from('{"kind":"Secret","data":{"password":"c2VjcmV0"}}');
const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(16).toString('base64');

function chain(...providers: string[]) {
  const text = `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n${providers.map((p) => `      - ${p}\n`).join('')}`;
  return parseEncryptionConfig(text, 'enc.yaml').get('secrets')!;
}

it.each(['aesgcm', 'aescbc'])('%s: writes k8s:enc:<provider>:v1:<key>: with no plaintext, and reads it back', (provider) => {
  const t = chain(`${provider}: { keys: [{ name: k1, secret: "${k1}" }] }`);
  const stored = t.toStorage(plain, KEY);
  expect(stored.subarray(0, `k8s:enc:${provider}:v1:k1:`.length).toString()).toBe(`k8s:enc:${provider}:v1:k1:`);
  expect(stored.includes(Buffer.from('password'))).toBe(false);
  expect(t.toStorage(plain, KEY).equals(stored)).toBe(false); // a fresh nonce or IV each write
  expect(t.fromStorage(stored, KEY)).toEqual({ plain, stale: false });
});

it('reads with every key of every provider, marks what the first key did not write as stale, and reads plain values through identity', () => {
  const old = chain(`aescbc: { keys: [{ name: old, secret: "${k2}" }] }`);
  const rotated = chain(`aesgcm: { keys: [{ name: new, secret: "${k1}" }] }`, `aescbc: { keys: [{ name: x, secret: "${k1}" }, { name: old, secret: "${k2}" }] }`, 'identity: {}');
  expect(rotated.fromStorage(old.toStorage(plain, KEY), KEY)).toEqual({ plain, stale: true });
  expect(rotated.fromStorage(plain, KEY)).toEqual({ plain, stale: true });
  // Identity first: writes plain, still reads what the keys after it wrote.
  const decrypting = chain('identity: {}', `aesgcm: { keys: [{ name: new, secret: "${k1}" }] }`);
  expect(decrypting.toStorage(plain, KEY)).toEqual(plain);
  expect(decrypting.fromStorage(rotated.toStorage(plain, KEY), KEY)).toEqual({ plain, stale: true });
});

it('binds an AES-GCM value to its etcd key: copied under another name it does not open', () => {
  const t = chain(`aesgcm: { keys: [{ name: k1, secret: "${k1}" }] }`);
  expect(() => t.fromStorage(t.toStorage(plain, KEY), '/registry/secrets/default/other')).toThrow(/cannot decrypt \/registry\/secrets\/default\/other/);
});

it('fails a value no configured key opens, naming the key it needs', () => {
  const t = chain(`aesgcm: { keys: [{ name: k1, secret: "${k1}" }] }`);
  const other = chain(`aesgcm: { keys: [{ name: k9, secret: "${k2}" }] }`);
  expect(() => t.fromStorage(other.toStorage(plain, KEY), KEY)).toThrow(`cannot decrypt ${KEY}: no configured key for k8s:enc:aesgcm:v1:k9:`);
  expect(() => t.fromStorage(plain, KEY)).toThrow(`cannot decrypt ${KEY}: no provider claims the value`);
});

it.each([
  ['kind: Nope\napiVersion: apiserver.config.k8s.io/v1\nresources: []', 'enc.yaml: kind: must be EncryptionConfiguration'],
  ['kind: EncryptionConfiguration\napiVersion: apiserver.config.k8s.io/v1\nresources: []', 'enc.yaml: resources: must be a non-empty list'],
  ['kind: EncryptionConfiguration\napiVersion: apiserver.config.k8s.io/v1\nresources: [{ resources: [secrets], providers: [{ secretbox: { keys: [] } }] }]', 'enc.yaml: resources[0].providers[0].secretbox: unsupported provider (aesgcm, aescbc and identity are)'],
  [`kind: EncryptionConfiguration\napiVersion: apiserver.config.k8s.io/v1\nresources: [{ resources: [secrets], providers: [{ aesgcm: { keys: [{ name: a, secret: "${k1}" }, { name: a, secret: "${k1}" }] } }] }]`, 'enc.yaml: resources[0].providers[0].aesgcm.keys[1].name: "a" is used twice'],
  ['kind: EncryptionConfiguration\napiVersion: apiserver.config.k8s.io/v1\nresources: [{ resources: [secrets], providers: [{ aesgcm: { keys: [{ name: a, secret: "not base64!" }] } }] }]', 'enc.yaml: resources[0].providers[0].aesgcm.keys[0].secret: must be the base64 of a 16, 24 or 32-byte key'],
  ['kind: EncryptionConfiguration\napiVersion: apiserver.config.k8s.io/v1\nresources: [{ resources: [secrets], providers: [] }]', 'enc.yaml: resources[0].providers: must be a non-empty list'],
  ['{ not yaml', 'enc.yaml: (document): not YAML or JSON'],
])('refuses a bad file naming the field: %#', (text, message) => {
  expect(() => parseEncryptionConfig(text, 'enc.yaml')).toThrow(message);
});
