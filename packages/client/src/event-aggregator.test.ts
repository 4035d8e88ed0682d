import { FakeClock } from '@coxswain/testing';
import { EventAggregator, COMBINED_PREFIX } from './event-aggregator';

describe('EventAggregator', () => {
  it('keeps the first 10 distinct messages of a group apart, combines the rest, and leaves other groups alone', () => {
    const agg = new EventAggregator({ clock: new FakeClock() });
    const results = Array.from({ length: 12 }, (_, i) => agg.aggregate('rc-web/SuccessfulCreate', `Created pod: web-${i}`));
    expect(results.slice(0, 10).every((r) => !r.combined)).toBe(true);
    expect(results[10]).toEqual({ message: `${COMBINED_PREFIX}Created pod: web-10`, combined: true });
    // A message seen among the first ten stays its own event (a repeat, counted on it).
    expect(agg.aggregate('rc-web/SuccessfulCreate', 'Created pod: web-3')).toEqual({ message: 'Created pod: web-3', combined: false });
    expect(agg.aggregate('rc-db/SuccessfulCreate', 'Created pod: db-0').combined).toBe(false);
  });

  it('starts a group again after 10 quiet minutes', async () => {
    const clock = new FakeClock();
    const agg = new EventAggregator({ clock });
    for (let i = 0; i < 10; i++) agg.aggregate('g', `m${i}`);
    expect(agg.aggregate('g', 'm10').combined).toBe(true);
    await clock.advance(10 * 60_000 + 1);
    expect(agg.aggregate('g', 'm11').combined).toBe(false);
  });

  it('remembers at most maxGroups groups, the least recently seen forgotten first', () => {
    const agg = new EventAggregator({ clock: new FakeClock(), maxSimilar: 1, maxGroups: 2 });
    agg.aggregate('a', 'x');
    agg.aggregate('b', 'x');
    agg.aggregate('a', 'x'); // a is now the most recent
    agg.aggregate('c', 'x'); // forgets b
    expect(agg.aggregate('a', 'y').combined).toBe(true);
    expect(agg.aggregate('b', 'y').combined).toBe(false); // a new group: b was forgotten
  });
});
