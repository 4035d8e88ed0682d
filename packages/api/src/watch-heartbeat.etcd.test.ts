// Heartbeats on a real server: a WebSocket peer that stops answering pings is cut off, and the
// client replaces a connection that has gone silent.
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { ApiClient } from '@coxswain/client';
import { eventually } from '@coxswain/testing';
import { ApiFixture, startApiFixture } from './testing/api-fixture';

let f: ApiFixture;
beforeAll(async () => {
  f = await startApiFixture({ heartbeatMs: 200 });
}, 30_000);
afterAll(() => f?.stop(), 30_000);

it('the server terminates a WebSocket watcher that does not answer pings', async () => {
  const ws = new WebSocket(f.url.replace(/^http/, 'ws') + '/api/v1beta1/watch/pods', { autoPong: false });
  let pings = 0;
  ws.on('ping', () => pings++);
  const t0 = Date.now();
  const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
  expect(pings).toBeGreaterThanOrEqual(1);
  expect(code).toBe(1006); // terminated, no close frame
  expect(Date.now() - t0).toBeLessThan(2000);
});

it('a watcher that answers pings stays connected', async () => {
  const ws = new WebSocket(f.url.replace(/^http/, 'ws') + '/api/v1beta1/watch/pods');
  let closed = false;
  let pings = 0;
  ws.on('close', () => (closed = true));
  ws.on('ping', () => pings++);
  // The server cuts off a peer whose pong has not come back by the next ping: still open after the
  // fourth ping means three answered heartbeats were accepted.
  await eventually(() => pings >= 4, 5000, 'four pings');
  expect(closed).toBe(false);
  ws.close();
});

it('the client replaces a connection that has gone silent', async () => {
  // A server that accepts the upgrade and then says nothing, not even pings.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  let connections = 0;
  wss.on('connection', () => connections++);
  const url = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const errors: string[] = [];
  const w = new ApiClient({ server: url }).watch('pods', {
    onEvent: () => undefined,
    onError: (e) => errors.push(e.message),
    idleTimeoutMs: 200,
    backoff: { initialMs: 10, maxMs: 20 },
  });
  await eventually(() => connections >= 3 && errors.some((m) => /silent for 200 ms/.test(m)), 5000, 'two reconnections after silence');
  await w.close();
  for (const c of wss.clients) c.terminate();
  await new Promise((r) => wss.close(r));
});
