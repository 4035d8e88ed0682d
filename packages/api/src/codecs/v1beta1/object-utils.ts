// Small helpers the conversions share: they build fresh objects (never sharing structure with the
// input, which may be an informer's cached object) and leave out absent fields.

/** A deep copy of JSON data; undefined stays undefined. */
export function copy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** The object without its undefined-valued keys (so a round trip does not grow `x: undefined`). */
export function compact<T extends object>(obj: T): T {
  for (const k of Object.keys(obj) as (keyof T)[]) if (obj[k] === undefined) delete obj[k];
  return obj;
}

/** undefined for an object whose every key is undefined, else the compacted object. */
export function nonEmpty<T extends object>(obj: T): T | undefined {
  compact(obj);
  return Object.keys(obj).length > 0 ? obj : undefined;
}
