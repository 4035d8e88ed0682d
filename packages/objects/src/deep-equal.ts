// Structural equality of JSON-like values, insensitive to key order, treating a key whose value is
// undefined as absent (JSON.stringify drops it, so it is absent once stored). Used to skip writes
// that change nothing and to tell a spec change (generation bump) from a metadata change.

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  return sameFields(a as Record<string, unknown>, b as Record<string, unknown>);
}

/** Compares two objects field by field, skipping the fields named in `except`. */
export function sameFields(a: Record<string, unknown>, b: Record<string, unknown>, except?: ReadonlySet<string>): boolean {
  let countA = 0;
  for (const k in a) {
    if (a[k] === undefined || except?.has(k)) continue;
    countA++;
    if (!deepEqual(a[k], b[k])) return false;
  }
  let countB = 0;
  for (const k in b) if (b[k] !== undefined && !except?.has(k)) countB++;
  return countA === countB;
}
