import { FakeClock } from '@coxswain/testing';
import { RestartBackoff } from './restart-backoff';

describe('RestartBackoff', () => {
  it('restarts at once the first time, then doubles the wait up to the maximum', () => {
    const clock = new FakeClock(0);
    const b = new RestartBackoff({ initialMs: 10_000, maxMs: 40_000, clock });
    expect(b.remaining('p/c', clock.now())).toBe(0);
    b.next('p/c');
    expect(b.remaining('p/c', clock.now())).toBe(10_000);
    b.next('p/c');
    expect(b.current('p/c')).toBe(20_000);
    b.next('p/c');
    b.next('p/c');
    expect(b.current('p/c')).toBe(40_000);
    expect(b.remaining('other', clock.now())).toBe(0);
  });

  it('counts the wait from when the container exited', async () => {
    const clock = new FakeClock(0);
    const b = new RestartBackoff({ initialMs: 10_000, maxMs: 40_000, clock });
    b.next('k');
    await clock.advance(4_000);
    expect(b.remaining('k', 3_000)).toBe(9_000);
    await clock.advance(9_000);
    expect(b.remaining('k', 3_000)).toBe(0);
  });

  it('starts again from the initial delay after a long healthy run', async () => {
    const clock = new FakeClock(0);
    const b = new RestartBackoff({ initialMs: 1_000, maxMs: 4_000, clock });
    for (let i = 0; i < 5; i++) b.next('k');
    expect(b.current('k')).toBe(4_000);
    await clock.advance(8_001);
    expect(b.remaining('k', clock.now())).toBe(0);
    b.next('k');
    expect(b.current('k')).toBe(1_000);
  });

  it('forgets one key exactly (a sandbox back-off cleared when the port it failed on is free)', () => {
    const clock = new FakeClock(0);
    const b = new RestartBackoff({ initialMs: 1_000, maxMs: 4_000, clock });
    b.next('ns/p/POD');
    b.next('ns/p/POD');
    b.next('ns/p/PODX');
    b.forget('ns/p/POD');
    expect(b.remaining('ns/p/POD', clock.now())).toBe(0);
    b.next('ns/p/POD');
    expect(b.current('ns/p/POD')).toBe(1_000);
    expect(b.current('ns/p/PODX')).toBe(1_000);
  });
});
