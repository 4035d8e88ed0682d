import { FakeClock, settle } from '@coxswain/testing';
import { WorkQueue } from './work-queue';
import { Controller, TerminalError, WORK_SLICE_MS } from './controller';

function setup(reconcile: (key: string) => Promise<unknown>, workers = 2) {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ clock });
  const c = new Controller({ name: 'test', reconcile: reconcile as never, workers, queue, clock });
  return { c, clock };
}

describe('Controller', () => {
  it('lets the event loop in while it works through a long queue of keys that need no I/O', async () => {
    const busyMs = WORK_SLICE_MS / 5;
    let runs = 0;
    const { c } = setup(async () => {
      // A reconcile that only computes (the scheduler's decision): it resolves without a macrotask.
      const until = performance.now() + busyMs;
      while (performance.now() < until);
      runs++;
    }, 4);
    const keys = 40; // 8 slices' worth of work
    for (let i = 0; i < keys; i++) c.enqueue(`k${i}`);
    let runsWhenIoGotIn = -1;
    setImmediate(() => (runsWhenIoGotIn = runs));
    c.start();
    await c.whenIdle();
    await c.stop();
    expect(runs).toBe(keys);
    // Without the slice the whole queue ran before anything else did.
    expect(runsWhenIoGotIn).toBeGreaterThan(0);
    expect(runsWhenIoGotIn).toBeLessThan(keys);
  });

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

  it('whenIdle resolves once every queued and running key is done, not while one runs or waits', async () => {
    const gates = new Map<string, () => void>();
    const done: string[] = [];
    const { c } = setup(async (key) => {
      await new Promise<void>((r) => gates.set(key, r));
      done.push(key);
    }, 1);
    await c.whenIdle(); // nothing enqueued: idle at once
    c.start();
    c.enqueue('a');
    c.enqueue('b');
    let idle = false;
    void c.whenIdle().then(() => (idle = true));
    await settle();
    gates.get('a')!(); // 'a' done, 'b' still queued behind the one worker
    await settle();
    expect(done).toEqual(['a']);
    expect(idle).toBe(false);
    gates.get('b')!();
    await settle();
    expect(done).toEqual(['a', 'b']);
    expect(idle).toBe(true);
    await c.stop();
  });

  it('stop waits for the run in progress and drops the keys still queued', async () => {
    const runs: string[] = [];
    let release!: () => void;
    const { c } = setup(async (key) => {
      runs.push(key);
      if (key === 'slow') await new Promise<void>((r) => (release = r));
    }, 1);
    c.start();
    c.enqueue('slow');
    c.enqueue('queued');
    await settle();
    let stopped = false;
    const stopping = c.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false); // 'slow' still runs
    release();
    await stopping;
    expect(runs).toEqual(['slow']);
    c.enqueue('late'); // ignored after stop
    await settle();
    expect(runs).toEqual(['slow']);
    await c.whenIdle();
  });

  it('enqueueHandlers enqueue the namespace/name key of every added, updated and deleted object', async () => {
    const runs: string[] = [];
    const { c } = setup(async (key) => void runs.push(key), 1);
    const obj = (name: string, namespace?: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace } });
    const h = c.enqueueHandlers();
    h.onAdd!(obj('a', 'ns1'));
    h.onUpdate!(obj('b', 'ns1'), obj('b', 'ns2'));
    h.onDelete!(obj('m1'));
    c.start();
    await c.whenIdle();
    expect(runs).toEqual(['ns1/a', 'ns2/b', 'm1']);
    await c.stop();
  });
});
