// The hash of a container's spec, carried as a label: a restarted kubelet compares it with the pod it
// reads from etcd and recreates only a container whose spec changed. Key order never matters.
import { createHash } from 'crypto';
import type { Container, Pod } from '@coxswain/objects';

/** JSON with object keys sorted and undefined fields dropped (stable for hashing and comparing). */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableStringify(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`).join(',')}}`;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

// Specs come from the informer's cache and are never mutated (an update brings new objects), so a
// hash is computed once per spec object: the periodic resync of every pod would otherwise re-hash
// every container (a few seconds of CPU per 10,000 pods at density).
const containerHashes = new WeakMap<Container, string>();
const sandboxHashes = new WeakMap<Pod['spec'], string>();

export function hashContainer(container: Container): string {
  let h = containerHashes.get(container);
  if (h === undefined) containerHashes.set(container, (h = shortHash(stableStringify(container))));
  return h;
}

/**
 * The sandbox owns the host ports, so its hash covers every container's port list: changing a host
 * port recreates the sandbox (and so the whole pod), as it must.
 */
export function hashSandbox(pod: Pod): string {
  let h = sandboxHashes.get(pod.spec);
  if (h === undefined) sandboxHashes.set(pod.spec, (h = shortHash(stableStringify(pod.spec.containers.map((c) => c.ports ?? [])))));
  return h;
}
