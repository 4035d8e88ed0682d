import { FakeClock, settle } from '@coxswain/testing';
import { WorkQueue } from './work-queue';
import { Controller, TerminalError } from './controller';

function setup(reconcile: (key: string) => Promise<unknown>, workers = 2) {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ clock });
  const c = new Controller({ name: 'test', reconcile: reconcile as never, workers, queue, clock });
  return { c, clock };
}

describe('Controller', () => {
  it('runs a burst of adds of one key once, and never one key on two workers', async () => {
    let running = 0;
    let maxRunning = 0;
    const runs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { c } = setup(async (key) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs.push(key);
      await gate;
      running--;
    }, 4);
    c.start();
    c.enqueue('a');
    await settle();
    // While 'a' runs, more adds of 'a' collapse into one further run.
    c.enqueue('a');
    c.enqueue('a');
    c.enqueue('b');
    await settle();
    release();
    await settle();
    await c.stop();
    expect(runs.sort()).toEqual(['a', 'a', 'b']);
    expect(maxRunning).toBe(2); // a and b in parallel, never a twice
  });

  it('retries failures with growing backoff and stops on success', async () => {
    let calls = 0;
    const { c, clock } = setup(async () => {
      calls++;
      if (calls < 3) throw new Error('boom');
    });
    c.start();
    c.enqueue('k');
    await settle();
    expect(calls).toBe(1);
    await clock.advance(5); // first retry after 5 ms
    expect(calls).toBe(2);
    await clock.advance(5); // second after 10 ms: not yet
    expect(calls).toBe(2);
    await clock.advance(5);
    expect(calls).toBe(3);
    await clock.advance(10_000);
    expect(calls).toBe(3);
    expect(c.stats.errors).toBe(2);
    await c.stop();
  });

  it('does not retry a TerminalError, and honours requeueAfterMs', async () => {
    const calls: string[] = [];
    const { c, clock } = setup(async (key) => {
      calls.push(key);
      if (key === 'bad') throw new TerminalError('no');
      if (key === 'timer' && calls.filter((k) => k === 'timer').length === 1) return { requeueAfterMs: 1000 };
      return undefined;
    });
    c.start();
    c.enqueue('bad');
    c.enqueue('timer');
    await settle();
    await clock.advance(999);
    expect(calls).toEqual(['bad', 'timer']);
    await clock.advance(1);
    await clock.advance(60_000);
    expect(calls).toEqual(['bad', 'timer', 'timer']);
    await c.stop();
  });
});
