import { judgeMinion } from './minion-health';

const t = { graceMs: 40_000, evictionMs: 300_000 };

describe('judgeMinion', () => {
  it('is healthy within the grace period and says when to look again', () => {
    expect(judgeMinion(10_000, 0, t)).toEqual({ verdict: 'healthy', nextCheckInMs: 30_001 });
    expect(judgeMinion(40_000, 0, t).verdict).toBe('healthy');
  });

  it('is not ready after the grace period, until the eviction timeout', () => {
    expect(judgeMinion(40_001, 0, t)).toEqual({ verdict: 'notReady', nextCheckInMs: 300_000 });
    expect(judgeMinion(340_000, 0, t).verdict).toBe('notReady');
  });

  it('evicts after grace + eviction timeout and keeps checking', () => {
    expect(judgeMinion(340_001, 0, t)).toEqual({ verdict: 'evict', nextCheckInMs: 10_000 });
  });
});
