// Resource quantities as the scheduler needs them: cpu in millicores, memory in bytes.
// Accepts Kubernetes-style strings ("250m", "1", "0.5", "64Mi", "1G", "1e3") and plain numbers.

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const PATTERN = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|K|M|G|T|P|E)?$/;

/** The quantity's value in base units (cores, bytes); throws on a malformed string. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) throw new Error(`invalid quantity ${q}`);
    return q;
  }
  const m = PATTERN.exec(q.trim());
  if (!m) throw new Error(`invalid quantity "${q}"`);
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  return n * (BINARY[suffix] ?? DECIMAL[suffix]);
}

/** cpu quantity in millicores ("250m" -> 250, "1" -> 1000), rounded up. */
export function milliCpu(q: string | number | undefined): number {
  if (q === undefined || q === '') return 0;
  return Math.ceil(parseQuantity(q) * 1000 - 1e-9);
}

/** memory quantity in bytes, rounded up. */
export function memoryBytes(q: string | number | undefined): number {
  if (q === undefined || q === '') return 0;
  return Math.ceil(parseQuantity(q) - 1e-9);
}
