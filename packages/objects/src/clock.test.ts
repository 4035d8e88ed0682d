import { FakeClock } from '@coxswain/testing';
import { TimeoutError, withTimeout } from './clock';

describe('withTimeout', () => {
  it('gives the result of work that finishes in time, and cancels its timer', async () => {
    const clock = new FakeClock();
    await expect(withTimeout(Promise.resolve('done'), 1000, 'too slow', clock)).resolves.toBe('done');
    expect(clock.pending()).toBe(0);
  });

  it('passes on the failure of work that fails in time', async () => {
    const clock = new FakeClock();
    await expect(withTimeout(Promise.reject(new Error('no etcd')), 1000, 'too slow', clock)).rejects.toThrow('no etcd');
    expect(clock.pending()).toBe(0);
  });

  it('rejects with the message once the time is up, not before', async () => {
    const clock = new FakeClock();
    let outcome: unknown;
    withTimeout(new Promise(() => undefined), 1000, 'etcd did not answer within 1 s', clock).catch((e) => (outcome = e));
    await clock.advance(999);
    expect(outcome).toBeUndefined();
    await clock.advance(1);
    expect(outcome).toBeInstanceOf(TimeoutError);
    expect((outcome as Error).message).toBe('etcd did not answer within 1 s');
  });
});
