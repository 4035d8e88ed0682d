// kube-apiserver's --encryption-provider-config file (EncryptionConfiguration, YAML or JSON): for each
// list of resources, the providers in order, each with its named keys:
//
//   apiVersion: apiserver.config.k8s.io/v1
//   kind: EncryptionConfiguration
//   resources:
//     - resources: [secrets]
//       providers:
//         - aesgcm: { keys: [{ name: key2, secret: <base64 of 32 bytes> }, { name: key1, secret: ... }] }
//         - identity: {}
//
// Writes use the first provider's first key; reads try every key of every provider (value-transformers.ts).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { aesProvider, identityProvider, ProviderChain, type AesMode, type Provider, type ValueTransformer } from './value-transformers';

const API_VERSION = 'apiserver.config.k8s.io/v1';
const KIND = 'EncryptionConfiguration';
const AES_MODES: readonly AesMode[] = ['aesgcm', 'aescbc'];
const KEY_NAME = /^[a-zA-Z0-9][-._a-zA-Z0-9]*$/;

/** A bad configuration: the message names the file and the field. */
export class EncryptionConfigError extends Error {}

/** Resource name (as the config writes it, e.g. `secrets`) → the chain its values go through. */
export type EncryptionConfig = Map<string, ValueTransformer>;

export function readEncryptionConfig(file: string): EncryptionConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new EncryptionConfigError(`--encryption-provider-config ${file}: ${(e as Error).message}`);
  }
  return parseEncryptionConfig(text, file);
}

export function parseEncryptionConfig(text: string, source = 'encryption config'): EncryptionConfig {
  const fail = (field: string, why: string): never => {
    throw new EncryptionConfigError(`${source}: ${field}: ${why}`);
  };
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return fail('(document)', `not YAML or JSON: ${(e as Error).message}`);
  }
  if (!isObject(doc)) return fail('(document)', 'must be an object');
  if (doc.kind !== KIND) fail('kind', `must be ${KIND}`);
  if (doc.apiVersion !== API_VERSION) fail('apiVersion', `must be ${API_VERSION}`);
  if (!Array.isArray(doc.resources) || doc.resources.length === 0) fail('resources', 'must be a non-empty list');
  const out: EncryptionConfig = new Map();
  (doc.resources as unknown[]).forEach((entry, i) => {
    const at = `resources[${i}]`;
    if (!isObject(entry)) return fail(at, 'must be an object');
    const names = entry.resources;
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && n !== '')) fail(`${at}.resources`, 'must be a non-empty list of resource names');
    if (!Array.isArray(entry.providers) || entry.providers.length === 0) fail(`${at}.providers`, 'must be a non-empty list');
    const providers = (entry.providers as unknown[]).flatMap((p, j) => providersOf(p, `${at}.providers[${j}]`, fail));
    for (const name of names as string[]) {
      if (out.has(name)) fail(`${at}.resources`, `"${name}" is configured twice`);
      out.set(name, new ProviderChain(providers));
    }
  });
  return out;
}

/** One provider entry: identity, or each key of an aesgcm/aescbc provider in order. */
function providersOf(entry: unknown, at: string, fail: (field: string, why: string) => never): Provider[] {
  if (!isObject(entry) || Object.keys(entry).length !== 1) return fail(at, 'must name exactly one provider (aesgcm, aescbc or identity)');
  const [type, body] = Object.entries(entry)[0]!;
  if (type === 'identity') return [identityProvider];
  if (!AES_MODES.includes(type as AesMode)) return fail(`${at}.${type}`, 'unsupported provider (aesgcm, aescbc and identity are)');
  if (!isObject(body) || !Array.isArray(body.keys) || body.keys.length === 0) return fail(`${at}.${type}.keys`, 'must be a non-empty list');
  const seen = new Set<string>();
  return (body.keys as unknown[]).map((k, n) => {
    const kat = `${at}.${type}.keys[${n}]`;
    if (!isObject(k)) return fail(kat, 'must be an object with name and secret');
    if (typeof k.name !== 'string' || !KEY_NAME.test(k.name)) fail(`${kat}.name`, 'must be a name of letters, digits, "-", "." and "_"');
    if (seen.has(k.name as string)) fail(`${kat}.name`, `"${k.name}" is used twice`);
    seen.add(k.name as string);
    const secret = typeof k.secret === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(k.secret) ? Buffer.from(k.secret, 'base64') : undefined;
    if (!secret || ![16, 24, 32].includes(secret.length)) fail(`${kat}.secret`, 'must be the base64 of a 16, 24 or 32-byte key');
    return aesProvider(type as AesMode, k.name as string, secret!);
  });
}

/** A new configuration: Secrets under AES-GCM with one fresh random 32-byte key, plain values still read. */
export function newEncryptionConfig(keyName = `key-${new Date().toISOString().slice(0, 10)}`): string {
  return [
    `apiVersion: ${API_VERSION}`,
    `kind: ${KIND}`,
    'resources:',
    '  - resources: [secrets]',
    '    providers:',
    `      - aesgcm: { keys: [{ name: ${keyName}, secret: ${randomBytes(32).toString('base64')} }] }`,
    '      - identity: {}',
    '',
  ].join('\n');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
