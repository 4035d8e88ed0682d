import { ExponentialRateLimiter, MaxOfRateLimiter, TokenBucketRateLimiter, defaultControllerRateLimiter } from './rate-limiter';
import { FakeClock } from '@coxswain/testing';

describe('ExponentialRateLimiter', () => {
  it('doubles per failure up to the cap, per key', () => {
    const r = new ExponentialRateLimiter<string>({ baseMs: 5, maxMs: 100 });
    expect([1, 2, 3, 4, 5, 6].map(() => r.when('a'))).toEqual([5, 10, 20, 40, 80, 100]);
    expect(r.when('b')).toBe(5);
    expect(r.numRequeues('a')).toBe(6);
    r.forget('a');
    expect(r.when('a')).toBe(5);
  });

  it('does not overflow after very many failures', () => {
    const r = new ExponentialRateLimiter<string>();
    let d = 0;
    for (let i = 0; i < 5000; i++) d = r.when('k');
    expect(d).toBe(1_000_000);
  });
});

describe('TokenBucketRateLimiter', () => {
  it('lets a burst through, then spaces retries at the rate, and refills over time', async () => {
    const clock = new FakeClock();
    const r = new TokenBucketRateLimiter<string>({ qps: 10, burst: 3, clock });
    expect([r.when('a'), r.when('b'), r.when('c')]).toEqual([0, 0, 0]);
    expect(r.when('d')).toBeCloseTo(100);
    expect(r.when('e')).toBeCloseTo(200);
    await clock.advance(1000); // 10 tokens back, capped at 3, minus the 2 owed
    expect(r.when('f')).toBe(0);
  });
});

describe('MaxOfRateLimiter', () => {
  it('takes the longest delay and records the failure in every limiter', () => {
    const a = new ExponentialRateLimiter<string>({ baseMs: 1 });
    const b = new ExponentialRateLimiter<string>({ baseMs: 7 });
    const m = new MaxOfRateLimiter(a, b);
    expect(m.when('k')).toBe(7);
    expect(m.when('k')).toBe(14);
    expect(a.numRequeues('k')).toBe(2);
    m.forget('k');
    expect(b.numRequeues('k')).toBe(0);
  });

  it('the default limiter starts at 5 ms', () => {
    expect(defaultControllerRateLimiter<string>(new FakeClock()).when('k')).toBe(5);
  });
});
