import { WorkQueue } from './work-queue';
import { ExponentialRateLimiter } from './rate-limiter';
import { FakeClock, settle } from '@coxswain/testing';

function newQueue(clock = new FakeClock()) {
  return { clock, q: new WorkQueue<string>({ clock, rateLimiter: new ExponentialRateLimiter({ baseMs: 5, maxMs: 1000 }) }) };
}

describe('WorkQueue', () => {
  it('hands out keys in FIFO order and collapses a burst of adds for one key into one run', async () => {
    const { q } = newQueue();
    for (let i = 0; i < 10; i++) q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.len()).toBe(0);
  });

  it('never gives a key being processed to a second worker; a re-add runs it again after done()', async () => {
    const { q } = newQueue();
    q.add('a');
    const first = await q.get();
    expect(first).toBe('a');
    q.add('a'); // changed while being processed
    q.add('a');
    expect(q.len()).toBe(0); // not queued while processing

    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await settle();
    expect(second).toBeUndefined(); // the second worker waits

    q.done('a');
    await settle();
    expect(second).toBe('a'); // exactly one more run for the re-adds
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('a done() without a re-add does not queue the key again', async () => {
    const { q } = newQueue();
    q.add('x');
    await q.get();
    q.done('x');
    expect(q.len()).toBe(0);
  });

  it('wakes a waiting worker on add', async () => {
    const { q } = newQueue();
    const got = q.get();
    q.add('k');
    await expect(got).resolves.toBe('k');
  });

  it('with many concurrent workers, each key is processed by one worker at a time and every add is seen', async () => {
    const { q } = newQueue();
    const active = new Set<string>();
    let overlaps = 0;
    const runs = new Map<string, number>();
    const versions = new Map<string, number>(); // what the "store" holds
    const seen = new Map<string, number>(); // what the last run of each key saw
    async function worker() {
      for (;;) {
        const key = await q.get();
        if (key === undefined) return;
        if (active.has(key)) overlaps++;
        active.add(key);
        seen.set(key, versions.get(key) ?? 0);
        await settle();
        runs.set(key, (runs.get(key) ?? 0) + 1);
        active.delete(key);
        q.done(key);
      }
    }
    const workers = Array.from({ length: 4 }, () => worker());
    for (let round = 0; round < 20; round++) {
      for (const key of ['a', 'b', 'c']) {
        versions.set(key, (versions.get(key) ?? 0) + 1);
        q.add(key);
      }
      if (round % 3 === 0) await settle();
    }
    while (q.len() > 0 || active.size > 0) await settle();
    q.shutDown();
    await Promise.all(workers);
    expect(overlaps).toBe(0);
    // Level-triggered: the last run of each key saw its last version.
    for (const key of ['a', 'b', 'c']) expect(seen.get(key)).toBe(20);
    // Collapsing: far fewer runs than adds.
    for (const key of ['a', 'b', 'c']) expect(runs.get(key)!).toBeLessThan(20);
  });

  it('shutDown resolves waiting and later get() with undefined and ignores later adds', async () => {
    const { q } = newQueue();
    const waiting = q.get();
    q.shutDown();
    await expect(waiting).resolves.toBeUndefined();
    q.add('a');
    await expect(q.get()).resolves.toBeUndefined();
    expect(q.len()).toBe(0);
  });

  it('shutDownWithDrain waits for in-flight keys', async () => {
    const { q } = newQueue();
    q.add('a');
    await q.get();
    let drained = false;
    void q.shutDownWithDrain().then(() => (drained = true));
    await settle();
    expect(drained).toBe(false);
    q.done('a');
    await settle();
    expect(drained).toBe(true);
  });

  it('addAfter delivers the key only once the delay has passed on the clock', async () => {
    const { q, clock } = newQueue();
    q.addAfter('late', 100);
    q.addAfter('early', 10);
    expect(q.len()).toBe(0);
    await clock.advance(9);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('early');
    await clock.advance(89);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(await q.get()).toBe('late');
  });

  it('addAfter of a key already waiting keeps the earlier time', async () => {
    const { q, clock } = newQueue();
    q.addAfter('k', 100);
    q.addAfter('k', 20);
    q.addAfter('k', 50);
    expect(q.delayedLen()).toBe(1);
    await clock.advance(20);
    expect(q.len()).toBe(1);
    await q.get();
    q.done('k');
    await clock.advance(200);
    expect(q.len()).toBe(0); // the later duplicates did not fire again
  });

  it('addAfter with a zero delay adds immediately', () => {
    const { q } = newQueue();
    q.addAfter('now', 0);
    expect(q.len()).toBe(1);
  });

  it('addRateLimited backs off exponentially per key and forget() resets it', async () => {
    const { q, clock } = newQueue();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = clock.now();
      q.addRateLimited('k');
      while (q.len() === 0) await clock.advance(1);
      delays.push(clock.now() - start);
      await q.get();
      q.done('k');
    }
    expect(delays).toEqual([5, 10, 20, 40, 80]);
    expect(q.numRequeues('k')).toBe(5);
    q.forget('k');
    expect(q.numRequeues('k')).toBe(0);
    q.addRateLimited('k');
    await clock.advance(4);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
  });

  it('delayed keys are dropped on shutdown', async () => {
    const { q, clock } = newQueue();
    q.addAfter('k', 10);
    q.shutDown();
    await clock.advance(100);
    expect(q.len()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('reports depth, delayed, processing, adds and retries', async () => {
    const { q } = newQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    await q.get();
    q.addRateLimited('c');
    expect(q.stats()).toEqual({ depth: 1, delayed: 1, processing: 1, adds: 2, retries: 1 });
  });
});
