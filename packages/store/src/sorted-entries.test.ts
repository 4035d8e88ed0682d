// The watch cache's ordered entries agree with a plainly sorted array through thousands of random
// inserts, replacements and deletes, with chunks small enough to split and merge all the time.
import { SortedEntries } from './sorted-entries';

interface Entry {
  key: string;
  v: number;
}

/** A small seeded generator (mulberry32): the same operations on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The reference: every entry in a Map, sorted when read. */
function inRange(all: Map<string, Entry>, from: string, to: string): Entry[] {
  return [...all.values()].filter((e) => e.key >= from && e.key < to).sort((a, b) => (a.key < b.key ? -1 : 1));
}

it.each([4, 8, 1024])('matches a sorted array through random changes (chunks of at most %i)', (chunkMax) => {
  const next = random(chunkMax);
  const entries = new SortedEntries<Entry>(chunkMax);
  const all = new Map<string, Entry>();
  const keyAt = () => `/registry/pods/ns-${Math.floor(next() * 5)}/p-${Math.floor(next() * 400)}`;
  for (let step = 0; step < 6000; step++) {
    const key = keyAt();
    // Grow for the first half, then delete as often as insert (chunks shrink and merge).
    if (next() < (step < 3000 ? 0.2 : 0.5)) {
      expect(entries.delete(key)).toBe(all.delete(key));
    } else {
      const e = { key, v: step };
      entries.upsert(e);
      all.set(key, e);
    }
    expect(entries.size).toBe(all.size);
    if (step % 97 === 0) {
      const [a, b] = [keyAt(), keyAt()].sort();
      expect(entries.range(a!, b!)).toEqual(inRange(all, a!, b!));
      expect(entries.range('/registry/pods/', '/registry/pods0')).toEqual(inRange(all, '/registry/pods/', '/registry/pods0'));
    }
  }
});

it('gives a copy: a range read before a change does not see it', () => {
  const entries = new SortedEntries<Entry>(4);
  for (let i = 0; i < 10; i++) entries.upsert({ key: `k${i}`, v: i });
  const before = entries.range('k', 'l');
  entries.upsert({ key: 'k05', v: 99 });
  entries.delete('k3');
  expect(before.map((e) => e.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9']);
  expect(entries.range('k', 'l').map((e) => e.key)).toEqual(['k0', 'k05', 'k1', 'k2', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9']);
});

it('is empty-safe: ranges and deletes of nothing', () => {
  const entries = new SortedEntries<Entry>();
  expect(entries.range('a', 'z')).toEqual([]);
  expect(entries.delete('a')).toBe(false);
  entries.upsert({ key: 'm', v: 1 });
  expect(entries.delete('m')).toBe(true);
  expect(entries.range('a', 'z')).toEqual([]);
  expect(entries.size).toBe(0);
});
