import { NotFoundError, UnavailableError } from '@coxswain/objects';
import { FakeClock, settle } from '@coxswain/testing';
import { whileUnavailable } from './while-unavailable';

/** Lets the first call fail and the loop go to sleep, then moves time on by `ms`, waking each retry due. */
async function runFor(clock: FakeClock, ms: number): Promise<void> {
  await settle();
  await clock.advance(ms);
}

describe('whileUnavailable', () => {
  it('tries again while etcd is unavailable and returns the answer that comes', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const result = whileUnavailable(async () => {
      calls++;
      if (calls < 3) throw new UnavailableError('etcd unavailable (delete): deadline exceeded');
      return 'deleted';
    }, { clock });
    await runFor(clock, 5_000);
    await expect(result).resolves.toBe('deleted');
    expect(calls).toBe(3);
  });

  it('gives up with etcd\'s error once the time is spent', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const result = whileUnavailable(async () => {
      calls++;
      throw new UnavailableError(`etcd unavailable (delete): call ${calls}`);
    }, { clock, timeoutMs: 10_000 });
    const settled = result.catch((e: Error) => e);
    await runFor(clock, 20_000);
    const err = await settled;
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/^etcd unavailable \(delete\): call \d+$/);
    // Retried after 0.25, 0.5, 1 and 2 s, then every 2-2.4 s (backoff with jitter): the first call
    // at or after 10 s was the last.
    expect(calls).toBeGreaterThanOrEqual(8);
    expect(calls).toBeLessThanOrEqual(9);
    expect(clock.pending()).toBe(0);
  });

  it('does not retry any other error', async () => {
    let calls = 0;
    await expect(
      whileUnavailable(async () => {
        calls++;
        throw new NotFoundError('minions', 'host-2');
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(calls).toBe(1);
  });
});
