// WritePriority: a streamed LIST's pause between chunks waits for the writes being served, within a bound.
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

it('a pause waits while writes are served and ends when the last one closes; reads are not waited for', async () => {
  const writes = new WritePriority(60_000);
  expect(await settled(writes.pause())).toBe(true);
  writes.track(request('GET'), response());
  expect(await settled(writes.pause())).toBe(true);
  const put = response();
  const del = response();
  writes.track(request('PUT'), put);
  writes.track(request('DELETE'), del);
  expect(writes.writing).toBe(2);
  const paused = writes.pause();
  expect(await settled(paused)).toBe(false);
  put.emit('close');
  expect(await settled(paused)).toBe(false);
  del.emit('close');
  expect(await settled(paused)).toBe(true);
  expect(writes.writing).toBe(0);
});

it('a pause ends after maxPauseMs even while a write is still served (a stream of writes cannot starve a LIST)', async () => {
  const writes = new WritePriority(5);
  writes.track(request('POST'), response());
  await writes.pause(); // resolves: jest would time out otherwise
  expect(writes.writing).toBe(1);
});
