import { LatencySamples } from './latency-samples';

describe('LatencySamples', () => {
  it('reports nearest-rank percentiles', () => {
    const s = new LatencySamples();
    for (let i = 1; i <= 100; i++) s.add(i);
    expect(s.summary()).toMatchObject({ count: 100, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
  });

  it('ignores non-finite values and is NaN when empty', () => {
    const s = new LatencySamples();
    s.add(NaN);
    s.add(Infinity);
    expect(s.count).toBe(0);
    expect(s.percentile(50)).toBeNaN();
    s.add(7);
    expect(s.summary().p99).toBe(7);
  });

  it('summarises more samples than a call can take arguments (100 watchers x thousands of events)', () => {
    const s = new LatencySamples();
    for (let i = 1; i <= 500_000; i++) s.add(i % 1000);
    s.add(5000);
    expect(s.summary()).toMatchObject({ count: 500_001, max: 5000 });
  });

  it('counts a failed call and its time instead of throwing, and keeps the first error', async () => {
    const s = new LatencySamples();
    expect(await s.timeAllowingFailure(async () => 'ok')).toBe('ok');
    expect(await s.timeAllowingFailure(() => Promise.reject(new Error('etcd unavailable (get)')))).toBeUndefined();
    expect(await s.timeAllowingFailure(() => Promise.reject(new Error('a later one')))).toBeUndefined();
    expect(s.summary()).toMatchObject({ count: 3, failed: 2, firstFailure: 'etcd unavailable (get)' });
  });
});
