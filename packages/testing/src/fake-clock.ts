// A manual clock for tests: time moves only when the test calls advance(), so timing logic (delays,
// backoff, resync) is tested without real sleeps.
import type { Clock } from '@coxswain/objects';

interface Sleeper {
  at: number;
  resolve: () => void;
}

export class FakeClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];

  constructor(start = 1_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = { at: this.current + Math.max(0, ms), resolve };
      this.sleepers.push(sleeper);
      // Like realClock: an abort ends the sleep early.
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          resolve();
        },
        { once: true },
      );
    });
  }

  /** How many sleeps are pending (lets a test check that a loop is waiting). */
  pending(): number {
    return this.sleepers.length;
  }

  /**
   * Moves time forward, waking sleepers in deadline order, and lets the woken code run
   * (settles pending promise callbacks) before returning.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const due = this.sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.current = Math.max(this.current, due.at);
      this.sleepers = this.sleepers.filter((s) => s !== due);
      due.resolve();
      await settle();
    }
    this.current = target;
    await settle();
  }
}

/** Lets pending promise callbacks and immediates run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
