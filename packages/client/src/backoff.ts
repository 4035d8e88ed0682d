// Jittered exponential backoff that resets after a period of health (client-go's reflector style).
// Clock and randomness are injected so that tests need no sleeps.

import type { Clock } from '@coxswain/objects';
import { realClock } from '@coxswain/objects';

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Fraction of the delay added at random: delay * (1 + jitter * random()). */
  jitter?: number;
  /** After this long without a failure, the next failure starts again from initialMs. */
  resetAfterMs?: number;
  clock?: Clock;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private lastFailureAt = -Infinity;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly resetAfterMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 200;
    this.maxMs = opts.maxMs ?? 30_000;
    this.factor = opts.factor ?? 2;
    this.jitter = opts.jitter ?? 0.2;
    this.resetAfterMs = opts.resetAfterMs ?? 60_000;
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
  }

  /** Records a failure and returns how long to wait before the next try. */
  nextDelay(): number {
    const now = this.clock.now();
    if (now - this.lastFailureAt > this.resetAfterMs) this.attempt = 0;
    this.lastFailureAt = now;
    const base = Math.min(this.maxMs, this.initialMs * Math.pow(this.factor, this.attempt));
    this.attempt++;
    return Math.min(this.maxMs, base * (1 + this.jitter * this.random()));
  }

  /** Records a failure and waits the delay (returns early if the signal aborts). */
  async wait(signal?: AbortSignal): Promise<void> {
    await this.clock.sleep(this.nextDelay(), signal);
  }

  reset(): void {
    this.attempt = 0;
    this.lastFailureAt = -Infinity;
  }
}
