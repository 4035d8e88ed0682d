// Small readers for loosely typed JSON objects (wire objects of either version), so printers never
// throw on a missing field.
export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a dotted path (`desiredState.manifest.containers`); undefined if any step is missing. */
export function field(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

export function str(obj: unknown, dotted: string): string {
  const v = field(obj, dotted);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

export function num(obj: unknown, dotted: string): number | undefined {
  const v = field(obj, dotted);
  return typeof v === 'number' ? v : undefined;
}

export function arr(obj: unknown, dotted: string): unknown[] {
  const v = field(obj, dotted);
  return Array.isArray(v) ? v : [];
}

/** `a=b,c=d`, keys sorted: how the seed printed labels and selectors (labels.Set.String()). */
export function formatLabels(labels: unknown): string {
  if (!isObject(labels)) return '';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${String(labels[k])}`)
    .join(',');
}

export function imagesOf(containers: unknown[]): string {
  return containers
    .map((c) => str(c, 'image'))
    .filter((s) => s !== '')
    .join(',');
}
