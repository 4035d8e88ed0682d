// Checks of the key/value maps of ConfigMaps and Secrets, after Kubernetes' ValidateConfigMap and
// ValidateSecret: each key a file name a volume can hold, base64 where the value is bytes, and the
// whole object under 1 MiB (what etcd and a kubelet's tmpfs are sized for).
import type { FieldCause } from '../errors';
import type { ConfigMap, Secret } from '../types';
import { joinPath } from './field-path';

/** Kubernetes' limit on the summed size of a ConfigMap's or Secret's values. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Why `key` cannot name a file of a configMap or secret volume, or undefined. */
export function configKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'a key must not be empty';
  if (key.length > 253) return `key "${key.slice(0, 40)}..." is longer than 253 characters`;
  if (!KEY.test(key)) return `key "${key}" must consist of letters, digits, '-', '_' or '.' (no '/')`;
  if (key === '.' || key === '..' || key.startsWith('..')) return `key "${key}" must not be '.' or '..' or start with '..'`;
  return undefined;
}

function checkKeys(out: FieldCause[], field: string, map: Record<string, string> | undefined): void {
  for (const key of Object.keys(map ?? {})) {
    const problem = configKeyProblem(key);
    if (problem) out.push({ field: joinPath(field, key), message: problem });
  }
}

function checkBase64(out: FieldCause[], field: string, map: Record<string, string> | undefined): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(map ?? {})) {
    if (!BASE64.test(value)) out.push({ field: joinPath(field, key), message: 'must be base64 encoded' });
    else bytes += Buffer.from(value, 'base64').length;
  }
  return bytes;
}

function checkSize(out: FieldCause[], field: string, bytes: number): void {
  if (bytes > MAX_CONFIG_BYTES) out.push({ field, message: `must total at most 1 MiB (${MAX_CONFIG_BYTES} bytes); has ${bytes}` });
}

export function checkConfigMap(out: FieldCause[], cm: ConfigMap): void {
  checkKeys(out, 'data', cm.data);
  checkKeys(out, 'binaryData', cm.binaryData);
  for (const key of Object.keys(cm.data ?? {})) {
    if (cm.binaryData && key in cm.binaryData) out.push({ field: joinPath('binaryData', key), message: `duplicates key "${key}" of data` });
  }
  let bytes = Object.values(cm.data ?? {}).reduce((n, v) => n + Buffer.byteLength(v, 'utf8'), 0);
  bytes += checkBase64(out, 'binaryData', cm.binaryData);
  checkSize(out, 'data', bytes);
}

export function checkSecret(out: FieldCause[], secret: Secret): void {
  checkKeys(out, 'data', secret.data);
  checkKeys(out, 'stringData', secret.stringData);
  const bytes = checkBase64(out, 'data', secret.data);
  checkSize(out, 'data', bytes);
}

/**
 * Folds a Secret's write-only `stringData` into `data`, base64 encoded, as Kubernetes does on every
 * write (a key in both takes the stringData value). The stored object never has stringData. In place.
 */
export function mergeStringData(secret: Secret): void {
  const strings = secret.stringData;
  if (strings === undefined || typeof strings !== 'object' || strings === null) return;
  const data: Record<string, string> = { ...(typeof secret.data === 'object' && secret.data ? secret.data : {}) };
  // Left as sent when a key or value is bad, so that validation names the stringData field the writer wrote.
  if (Object.entries(strings).some(([key, value]) => typeof value !== 'string' || configKeyProblem(key))) return;
  for (const [key, value] of Object.entries(strings)) {
    data[key] = Buffer.from(value, 'utf8').toString('base64');
  }
  secret.data = data;
  delete secret.stringData;
}
