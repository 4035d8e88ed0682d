// Field paths in the form users read in error messages: `spec.containers[0].image`,
// `metadata.labels["example.com/app"]`.

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Appends an object key or an array index to a path. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const seg = PLAIN_KEY.test(key) ? key : JSON.stringify(key);
  if (seg.startsWith('"')) return `${base}[${seg}]`;
  return base ? `${base}.${seg}` : seg;
}

/** Converts a JSON pointer (`/spec/containers/0/image`) to a field path (`spec.containers[0].image`). */
export function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out = /^(0|[1-9][0-9]*)$/.test(key) ? joinPath(out, Number(key)) : joinPath(out, key);
  }
  return out;
}

const SEGMENT = /^(?:\.?([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;

/** The value a field path (as joinPath writes it) points at in `obj`; undefined when absent or unreadable. */
export function valueAtPath(obj: unknown, path: string): unknown {
  let rest = path;
  let at: unknown = obj;
  while (rest !== '') {
    const m = SEGMENT.exec(rest);
    if (!m || at === null || typeof at !== 'object') return undefined;
    const key = m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string));
    at = (at as Record<string | number, unknown>)[key];
    rest = rest.slice(m[0].length);
  }
  return at;
}
