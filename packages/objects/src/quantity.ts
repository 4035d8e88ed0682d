// Resource quantities, Kubernetes style: cpu in millicores ("250m", "1", "0.5") and memory in
// bytes ("64Mi", "1G", "1000"). Parsing rounds up, as Kubernetes does, so a request never shrinks.
import { BadRequestError } from './errors';

const NUMBER = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)/;

const MEMORY_SUFFIX: Record<string, number> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

function split(q: string | number, what: string): [number, string] {
  const s = String(q).trim();
  const m = NUMBER.exec(s);
  if (!m) throw new BadRequestError(`invalid ${what} quantity "${q}"`);
  return [Number(m[1]), s.slice(m[1].length)];
}

/** "250m" -> 250, "1" -> 1000, "0.5" -> 500. */
export function parseCpu(q: string | number): number {
  const [n, suffix] = split(q, 'cpu');
  if (suffix === 'm') return Math.ceil(n);
  if (suffix === '') return Math.ceil(n * 1000);
  throw new BadRequestError(`invalid cpu quantity "${q}"`);
}

/** "64Mi" -> 67108864, "1G" -> 1e9, "1000" -> 1000. */
export function parseMemory(q: string | number): number {
  const [n, suffix] = split(q, 'memory');
  const mult = MEMORY_SUFFIX[suffix];
  if (mult === undefined) throw new BadRequestError(`invalid memory quantity "${q}"`);
  return Math.ceil(n * mult);
}

export function isCpuQuantity(q: string | number): boolean {
  try {
    parseCpu(q);
    return true;
  } catch {
    return false;
  }
}

export function isMemoryQuantity(q: string | number): boolean {
  try {
    parseMemory(q);
    return true;
  } catch {
    return false;
  }
}

/** 1000 -> "1", 250 -> "250m". */
export function formatCpu(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

const BINARY = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'];
const DECIMAL = ['E', 'P', 'T', 'G', 'M', 'k'];

/** The shortest exact form: 67108864 -> "64Mi", 1e9 -> "1G", 1000 -> "1k", 1500 -> "1500". */
export function formatMemory(bytes: number): string {
  if (bytes === 0) return '0';
  for (const suffix of [...BINARY, ...DECIMAL]) {
    const mult = MEMORY_SUFFIX[suffix];
    if (bytes >= mult && bytes % mult === 0) return `${bytes / mult}${suffix}`;
  }
  return String(bytes);
}
