// One resource's cached entries in key order, for the watch cache (cache-state.ts): kept in chunks of
// at most `chunkMax` entries, themselves in key order, so an insert or a delete moves at most one
// chunk's entries, and a range is read by walking the chunks from the first one that holds it.
//
// Why not one sorted array with a splice per change (what the cache had): past ~130,000 elements V8's
// Array.prototype.splice left its fast path on this machine — an insert into 150,000 entries took
// ~110 µs, where 120,000 took 9 — and at 150,000 pods the API server's watch cache then spent more of
// its CPU placing new pods than on anything else (docs/benchmarks.md, run 23).
import { lowerBound } from './key-range';

export interface Keyed {
  key: string;
}

const keyOf = (e: Keyed): string => e.key;

/** Entries per chunk before it splits in two; a chunk under a quarter of it merges with the next when both fit. */
const CHUNK_MAX = 1024;

export class SortedEntries<E extends Keyed> {
  private chunks: E[][] = [];
  private count = 0;

  constructor(private readonly chunkMax = CHUNK_MAX) {}

  get size(): number {
    return this.count;
  }

  /** Puts `entry` in its place, replacing the entry with its key if there is one. */
  upsert(entry: E): void {
    if (this.chunks.length === 0) {
      this.chunks.push([entry]);
      this.count = 1;
      return;
    }
    const c = this.chunkFor(entry.key);
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, entry.key, keyOf);
    if (chunk[i]?.key === entry.key) {
      chunk[i] = entry;
      return;
    }
    chunk.splice(i, 0, entry);
    this.count++;
    if (chunk.length > this.chunkMax) this.chunks.splice(c + 1, 0, chunk.splice(chunk.length >>> 1));
  }

  /** Removes the entry with `key`; whether there was one. */
  delete(key: string): boolean {
    if (this.chunks.length === 0) return false;
    const c = this.chunkFor(key);
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, key, keyOf);
    if (chunk[i]?.key !== key) return false;
    chunk.splice(i, 1);
    this.count--;
    const next = this.chunks[c + 1];
    if (chunk.length === 0) this.chunks.splice(c, 1);
    else if (next && chunk.length < this.chunkMax >>> 2 && chunk.length + next.length <= this.chunkMax) {
      this.chunks.splice(c, 2, chunk.concat(next));
    }
    return true;
  }

  /** The entries with `from` <= key < `to`, in key order: a copy, which later changes do not reach. */
  range(from: string, to: string): E[] {
    if (this.chunks.length === 0) return [];
    const parts: E[][] = [];
    for (let c = this.chunkFor(from), i = lowerBound(this.chunks[c]!, from, keyOf); c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c]!;
      // Most chunks lie wholly inside the range: each is copied in one slice.
      const end = chunk[chunk.length - 1]!.key < to ? chunk.length : lowerBound(chunk, to, keyOf);
      if (end > i) parts.push(chunk.slice(i, end));
      if (end < chunk.length) break;
    }
    return parts.length === 1 ? parts[0]! : ([] as E[]).concat(...parts);
  }

  /** The last chunk whose first key is <= `key` (the first chunk when every key is greater). */
  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.chunks[mid]![0]!.key <= key) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
