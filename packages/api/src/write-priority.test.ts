// WritePriority: a streamed LIST's pause between chunks waits for the writes being served, within a
// bound per pause and a share of the LIST's time in all.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WritePriority } from './write-priority';

const request = (method: string) => ({ method }) as IncomingMessage;
const response = () => new EventEmitter() as unknown as ServerResponse;

/** Whether `p` has settled once pending callbacks have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

/** A clock that moves only when the test says. */
function manualClock(at = 0) {
  return { now: () => at, set: (ms: number) => (at = ms) };
}

it('a pause waits while writes are served and ends when the last one closes; reads are not waited for', async () => {
  const clock = manualClock();
  const writes = new WritePriority({ maxPauseMs: 60_000, clock });
  const pause = writes.listPause();
  clock.set(60_000); // a LIST streaming for a minute has 15 s of pauses to spend
  expect(await settled(pause())).toBe(true);
  writes.track(request('GET'), response());
  expect(await settled(pause())).toBe(true);
  const put = response();
  const del = response();
  writes.track(request('PUT'), put);
  writes.track(request('DELETE'), del);
  expect(writes.writing).toBe(2);
  const paused = pause();
  expect(await settled(paused)).toBe(false);
  put.emit('close');
  expect(await settled(paused)).toBe(false);
  del.emit('close');
  expect(await settled(paused)).toBe(true);
  expect(writes.writing).toBe(0);
});

it('a pause ends after maxPauseMs even while a write is still served (a stream of writes cannot starve a LIST)', async () => {
  const clock = manualClock();
  const writes = new WritePriority({ maxPauseMs: 5, clock });
  const pause = writes.listPause();
  clock.set(60_000);
  writes.track(request('POST'), response());
  await pause(); // resolves: jest would time out otherwise
  expect(writes.writing).toBe(1);
});

it('a LIST pauses for at most its share of the time it has streamed, however many writes come', async () => {
  const clock = manualClock();
  const writes = new WritePriority({ maxPauseMs: 60_000, maxPauseShare: 0.25, clock });
  const pause = writes.listPause();
  const put = response();
  writes.track(request('PUT'), put);
  expect(await settled(pause())).toBe(true); // nothing streamed yet: no pause to spend

  clock.set(400); // 100 ms to spend
  const first = pause();
  expect(await settled(first)).toBe(false);
  clock.set(1000);
  put.emit('close'); // this one took 600 ms of the LIST's 1 s: over its share
  expect(await settled(first)).toBe(true);

  writes.track(request('PUT'), response());
  clock.set(2000); // 0.25 x 2 s = 500 ms, less the 600 spent: nothing left
  expect(await settled(pause())).toBe(true);
  clock.set(4000); // 1,000 ms, less 600: it pauses again
  expect(await settled(pause())).toBe(false);
});
