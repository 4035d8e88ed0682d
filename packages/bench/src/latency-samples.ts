// A bag of latency samples (milliseconds) and its percentiles, nearest-rank.
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Calls that failed (timeAllowingFailure); their time until the failure is among the samples. */
  failed: number;
  /** The first failure's message, when a call failed. */
  firstFailure?: string;
}

export class LatencySamples {
  private readonly values: number[] = [];
  private failures = 0;
  private firstFailure?: string;

  add(ms: number): void {
    if (Number.isFinite(ms)) this.values.push(ms);
  }

  /** Times `fn` and records its duration; returns fn's result. */
  async time<T>(fn: () => Promise<T>): Promise<T> {
    const t0 = process.hrtime.bigint();
    const out = await fn();
    this.add(Number(process.hrtime.bigint() - t0) / 1e6);
    return out;
  }

  /**
   * Like time(), but a call that fails is counted (and its time until the failure recorded: the
   * caller waited that long) instead of thrown: on a saturated cluster a 503 is a figure of the run,
   * not its end. Returns undefined for a failed call.
   */
  async timeAllowingFailure<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const t0 = process.hrtime.bigint();
    try {
      return await fn();
    } catch (err) {
      this.failures++;
      this.firstFailure ??= err instanceof Error ? err.message : String(err);
      return undefined;
    } finally {
      this.add(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }

  get count(): number {
    return this.values.length;
  }

  percentile(p: number): number {
    if (this.values.length === 0) return NaN;
    const sorted = [...this.values].sort((a, b) => a - b);
    const rank = Math.ceil((p / 100) * sorted.length);
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
  }

  summary(): LatencySummary {
    const n = this.values.length;
    const sum = this.values.reduce((a, b) => a + b, 0);
    return {
      count: n,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      // Not Math.max(...values): 100 watchers' deliveries are more arguments than the stack holds.
      max: n ? this.values.reduce((a, b) => Math.max(a, b), -Infinity) : NaN,
      mean: n ? sum / n : NaN,
      failed: this.failures,
      firstFailure: this.firstFailure,
    };
  }
}
