import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { drained } from './http-response';

describe('drained', () => {
  it('holds one wait per response however many ask, and a fresh one after the drain', async () => {
    const res = new EventEmitter() as unknown as ServerResponse;
    const waits = Array.from({ length: 50 }, () => drained(res));
    expect(res.listenerCount('drain')).toBe(1);
    expect(res.listenerCount('close')).toBe(1);
    res.emit('drain');
    await Promise.all(waits);
    expect(res.listenerCount('drain')).toBe(0);
    expect(res.listenerCount('close')).toBe(0);
    const next = drained(res);
    expect(next).not.toBe(waits[0]);
    res.emit('close'); // a closed response ends the wait too
    await next;
    expect(res.listenerCount('drain')).toBe(0);
  });
});
