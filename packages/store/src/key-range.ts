// Keys as the storage reads them. Keys have the shape /<root>/<resource>/[<scope>/...][<namespace>/]<name>
// (the registry's layout: /registry/pods/default/web, /registry/minions/m1,
// /registry/boundpods/m1/default/web); errors and listed items name objects by it.

export interface KeyIdentity {
  resource: string;
  /** The segment before the name, when the key has one below its resource. */
  namespace?: string;
  name: string;
}

export function keyIdentity(key: string): KeyIdentity {
  const parts = key.split('/').filter((p) => p !== '');
  const name = parts[parts.length - 1] ?? key;
  const resource = parts.length >= 3 ? parts[1] : parts[0] ?? key;
  return parts.length >= 4 ? { resource, namespace: parts[parts.length - 2], name } : { resource, name };
}

/** The exclusive end of a prefix range: the prefix with its last byte incremented. */
export function prefixRangeEnd(prefix: string | Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all 0xff: to the end of the keyspace
}

/** The first index of `sorted` whose key is >= `key`: the element itself, or `keyOf` of it. */
export function lowerBound(sorted: readonly string[], key: string): number;
export function lowerBound<T>(sorted: readonly T[], key: string, keyOf: (item: T) => string): number;
export function lowerBound<T>(sorted: readonly T[], key: string, keyOf: (item: T) => string = (item) => item as string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keyOf(sorted[mid]!) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
