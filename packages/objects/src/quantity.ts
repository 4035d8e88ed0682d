// Resource quantities, Kubernetes style: cpu in millicores ("250m", "1", "0.5") and memory in
// bytes ("64Mi", "1G", "1000"). Parsing rounds up, as Kubernetes does, so a request never shrinks.
// Kubernetes keeps a quantity in an int64 (millicores, bytes); one that does not fit is refused.
import { BadRequestError } from './errors';

/** 2^63 - 1, Kubernetes' int64 bound; as a double it is 2^63, so the check is `>=`. */
const INT64_LIMIT = 2 ** 63;

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

/** Kubernetes' decimal exponent form: "1e3" is 1000, "5E-1" is 0.5. */
const EXPONENT = /^[eE]([+-]?[0-9]+)$/;

function split(q: string | number, what: string): [number, string] {
  const s = String(q).trim();
  const m = NUMBER.exec(s);
  if (!m) throw new BadRequestError(`invalid ${what} quantity "${q}"`);
  const rest = s.slice(m[1].length);
  const e = EXPONENT.exec(rest);
  return e ? [Number(m[1]) * 10 ** Number(e[1]), ''] : [Number(m[1]), rest];
}

/** "250m" -> 250, "1" -> 1000, "0.5" -> 500. */
export function parseCpu(q: string | number): number {
  const [n, suffix] = split(q, 'cpu');
  if (suffix === 'm') return withinInt64(Math.ceil(n), q, 'cpu', 'millicores');
  if (suffix === '') return withinInt64(Math.ceil(n * 1000), q, 'cpu', 'millicores');
  throw new BadRequestError(`invalid cpu quantity "${q}"`);
}

/** "64Mi" -> 67108864, "1G" -> 1e9, "1000" -> 1000. */
export function parseMemory(q: string | number): number {
  const [n, suffix] = split(q, 'memory');
  const mult = MEMORY_SUFFIX[suffix];
  if (mult === undefined) throw new BadRequestError(`invalid memory quantity "${q}"`);
  return withinInt64(Math.ceil(n * mult), q, 'memory', 'bytes');
}

function withinInt64(value: number, q: string | number, what: string, unit: string): number {
  if (!(value < INT64_LIMIT)) throw new BadRequestError(`${what} quantity "${q}" ${TOO_LARGE} ${unit}`);
  return value;
}

const TOO_LARGE = 'is more than the largest quantity, 2^63-1';

/** Why `q` is not a cpu quantity, in a field cause's words; undefined when it is one. */
export function cpuQuantityProblem(q: string | number): string | undefined {
  return quantityProblem(() => parseCpu(q), 'millicores', 'a cpu quantity like 250m, 0.5 or 2');
}

/** Why `q` is not a memory quantity, in a field cause's words; undefined when it is one. */
export function memoryQuantityProblem(q: string | number): string | undefined {
  return quantityProblem(() => parseMemory(q), 'bytes', 'a memory quantity like 64Mi, 1G or 1000000');
}

function quantityProblem(parse: () => number, unit: string, like: string): string | undefined {
  try {
    parse();
    return undefined;
  } catch (e) {
    return (e as Error).message.includes(TOO_LARGE) ? `must be at most 2^63-1 ${unit} (Kubernetes keeps a quantity in an int64)` : `must be ${like}`;
  }
}

export function isCpuQuantity(q: string | number): boolean {
  return cpuQuantityProblem(q) === undefined;
}

export function isMemoryQuantity(q: string | number): boolean {
  return memoryQuantityProblem(q) === undefined;
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
