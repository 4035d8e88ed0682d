// A bag of latency samples (milliseconds) and its percentiles, nearest-rank.
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export class LatencySamples {
  private readonly values: number[] = [];

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
    };
  }
}
