import { FakeClock } from '@coxswain/testing';
import { Expectations } from './expectations';

describe('Expectations', () => {
  it('is satisfied once every expected creation was observed', () => {
    const e = new Expectations(60_000, new FakeClock());
    expect(e.satisfied('ns/rc')).toBe(true);
    e.expectCreations('ns/rc', 2);
    expect(e.satisfied('ns/rc')).toBe(false);
    e.creationObserved('ns/rc');
    expect(e.satisfied('ns/rc')).toBe(false);
    e.creationObserved('ns/rc');
    expect(e.satisfied('ns/rc')).toBe(true);
  });

  it('tracks deletions by pod key, ignoring pods it did not delete', () => {
    const e = new Expectations(60_000, new FakeClock());
    e.expectDeletions('ns/rc', ['ns/a', 'ns/b']);
    e.deletionObserved('ns/rc', 'ns/zzz');
    e.deletionObserved('ns/rc', 'ns/a');
    expect(e.satisfied('ns/rc')).toBe(false);
    e.deletionObserved('ns/rc', 'ns/b');
    expect(e.satisfied('ns/rc')).toBe(true);
  });

  it('expires after the timeout so a lost event cannot stall the controller forever', async () => {
    const clock = new FakeClock();
    const e = new Expectations(60_000, clock);
    e.expectCreations('ns/rc', 1);
    await clock.advance(59_000);
    expect(e.satisfied('ns/rc')).toBe(false);
    await clock.advance(2_000);
    expect(e.satisfied('ns/rc')).toBe(true);
    expect(e.expired('ns/rc')).toBe(true);
  });
});
