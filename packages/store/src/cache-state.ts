// The watch cache's memory: every object under the cached root, by key and in key order, at one
// revision, plus a bounded window of the most recent changes (docs/watch-cache.md).
//
// Objects are frozen once they enter: lists and watchers share them instead of copying, so a caller
// that tried to change one would throw at once rather than corrupt what every other reader sees.
import type { KubeObject } from '@coxswain/objects';
import { SortedEntries } from './sorted-entries';

/** One change as the cache applied it: the object before (absent for a create) and after (absent for a delete). */
export interface CachedChange {
  key: string;
  revision: bigint;
  prev?: KubeObject;
  next?: KubeObject;
}

export interface CachedEntry {
  key: string;
  object: KubeObject;
}

/** The bucket of a key: its first two segments (`/registry/pods/`), so sorted inserts touch one resource's keys. */
export function bucketOf(key: string): string | undefined {
  const second = key.indexOf('/', 1);
  const third = second < 0 ? -1 : key.indexOf('/', second + 1);
  return third < 0 ? undefined : key.slice(0, third + 1);
}

class Bucket {
  readonly byKey = new Map<string, CachedEntry>();
  /** The entries in key order, so that a list's snapshot of a prefix is one walk of a range. */
  readonly sorted = new SortedEntries<CachedEntry>();

  put(entry: CachedEntry): void {
    this.byKey.set(entry.key, entry);
    this.sorted.upsert(entry);
  }

  delete(key: string): void {
    if (this.byKey.delete(key)) this.sorted.delete(key);
  }
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export class CacheState {
  private buckets = new Map<string, Bucket>();
  /** Every change after this revision is in the window (a watch from an older one gets 410). */
  windowStart = 0n;
  /** The revision the state is at: every change at or below it has been applied. */
  revision = 0n;
  private window: (CachedChange | undefined)[] = [];
  private head = 0;

  constructor(private readonly windowSize: number) {}

  /** Replaces everything with a list read at `revision`; the window starts empty there. */
  reset(entries: readonly CachedEntry[], revision: bigint): void {
    this.buckets = new Map();
    for (const e of entries) this.bucketFor(e.key)?.put({ key: e.key, object: deepFreeze(e.object) });
    this.revision = revision;
    this.windowStart = revision;
    this.window = [];
    this.head = 0;
  }

  get(key: string): CachedEntry | undefined {
    const b = bucketOf(key);
    return b === undefined ? undefined : this.buckets.get(b)?.byKey.get(key);
  }

  /** Applies one change (an object written or deleted at `revision`) and returns it as recorded in the window. */
  apply(key: string, revision: bigint, next: KubeObject | undefined): CachedChange {
    const bucket = this.bucketFor(key);
    const prev = bucket?.byKey.get(key)?.object;
    if (next) bucket?.put({ key, object: deepFreeze(next) });
    else bucket?.delete(key);
    const change: CachedChange = { key, revision, prev, next };
    this.window.push(change);
    if (this.window.length - this.head > this.windowSize) {
      const evicted = this.window[this.head]!;
      this.window[this.head++] = undefined;
      this.windowStart = evicted.revision;
      if (this.head > 4096 && this.head * 2 > this.window.length) {
        this.window = this.window.slice(this.head);
        this.head = 0;
      }
    }
    if (revision > this.revision) this.revision = revision;
    return change;
  }

  /** A change outside the cached root: only the revision moves on. */
  advance(revision: bigint): void {
    if (revision > this.revision) this.revision = revision;
  }

  /** The window's changes after `after`, oldest first. */
  changesAfter(after: bigint): CachedChange[] {
    const out: CachedChange[] = [];
    // Revisions grow along the window: find the first one after `after` by binary search.
    let lo = this.head;
    let hi = this.window.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.window[mid]!.revision <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.window.length; i++) out.push(this.window[i]!);
    return out;
  }

  /** The entries under `prefix` (within one bucket) in key order, after `startAfter` when given. */
  entriesUnder(prefix: string, startAfter?: string): CachedEntry[] {
    const b = bucketOf(prefix);
    const bucket = b === undefined ? undefined : this.buckets.get(b);
    if (!bucket) return [];
    const from = startAfter !== undefined && startAfter >= prefix ? startAfter + '\0' : prefix;
    // Every key that starts with `prefix` sorts before the prefix with its last character raised.
    const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    return bucket.sorted.range(from, end);
  }

  private bucketFor(key: string): Bucket | undefined {
    const b = bucketOf(key);
    if (b === undefined) return undefined;
    let bucket = this.buckets.get(b);
    if (!bucket) this.buckets.set(b, (bucket = new Bucket()));
    return bucket;
  }
}
