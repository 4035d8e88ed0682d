// How long a failed key waits before it is retried. The work queue asks `when(key)` each time a key is
// re-added after a failure and `forget(key)` once it succeeds, so the delay grows only while a key keeps
// failing (client-go's workqueue rate limiters, in a small form).
import { Clock, realClock } from '@coxswain/objects';

export interface RateLimiter<K = string> {
  /** Records one more failure of `key` and returns the delay (ms) before it may be retried. */
  when(key: K): number;
  /** The key succeeded: its next failure starts again from the smallest delay. */
  forget(key: K): void;
  /** How many failures in a row the key has had. */
  numRequeues(key: K): number;
}

export interface ExponentialRateLimiterOptions {
  /** The first retry delay. */
  baseMs?: number;
  /** The delay never exceeds this. */
  maxMs?: number;
}

/** Per-key exponential backoff: baseMs, 2*baseMs, 4*baseMs, ... up to maxMs (defaults 5 ms .. 1000 s). */
export class ExponentialRateLimiter<K = string> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(opts: ExponentialRateLimiterOptions = {}) {
    this.baseMs = opts.baseMs ?? 5;
    this.maxMs = opts.maxMs ?? 1_000_000;
  }

  when(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity for large n; Math.min keeps it at maxMs.
    return Math.min(this.maxMs, this.baseMs * Math.pow(2, n));
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

export interface TokenBucketOptions {
  /** Tokens added per second. */
  qps?: number;
  /** The bucket's size: this many retries may go at once. */
  burst?: number;
  clock?: Clock;
}

/**
 * An overall limit on retries across all keys (a token bucket), so that a flood of failing keys
 * cannot hammer etcd even while each key's own backoff is still small.
 */
export class TokenBucketRateLimiter<K = string> implements RateLimiter<K> {
  private readonly qps: number;
  private readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(opts: TokenBucketOptions = {}) {
    this.qps = opts.qps ?? 10;
    this.burst = opts.burst ?? 100;
    this.clock = opts.clock ?? realClock;
    this.tokens = this.burst;
    this.last = this.clock.now();
  }

  when(_key: K): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    // Reserve a token even if the bucket is empty: the caller waits until it would have been refilled.
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(_key: K): void {
    /* the bucket is shared; nothing per key */
  }

  numRequeues(_key: K): number {
    return 0;
  }
}

/** The longest delay any of the limiters asks for. */
export class MaxOfRateLimiter<K = string> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }

  when(key: K): number {
    // Every limiter must record the failure, so no short-circuit.
    return this.limiters.map((l) => l.when(key)).reduce((a, b) => Math.max(a, b), 0);
  }

  forget(key: K): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: K): number {
    return this.limiters.map((l) => l.numRequeues(key)).reduce((a, b) => Math.max(a, b), 0);
  }
}

/** What controllers use unless told otherwise: per-key 5 ms .. 1000 s, and 10 retries/s (burst 100) overall. */
export function defaultControllerRateLimiter<K = string>(clock: Clock = realClock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(new ExponentialRateLimiter<K>(), new TokenBucketRateLimiter<K>({ clock }));
}
