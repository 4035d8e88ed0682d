// `coxswain join` asks for the join info again while the API server cannot be reached or answers
// 502-504 (it may be restarting), and fails at once on an answer that will not change (a refused token).
import * as http from 'node:http';
import { realClock, type Clock } from '@coxswain/objects';
import { freePort, recordingLogger } from '@coxswain/testing';
import { askForJoinInfo } from './join';

const INFO = { etcdServers: ['http://127.0.0.1:2379'] };

/** An API server answering the join path with `answers` in turn (the last one again and again). */
function apiServer(answers: { status: number; body: object }[]): { server: http.Server; asked: () => number } {
  let n = 0;
  const server = http.createServer((_req, res) => {
    const a = answers[Math.min(n++, answers.length - 1)]!;
    res.writeHead(a.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(a.body));
  });
  return { server, asked: () => n };
}

const listen = (s: http.Server, port = 0) => new Promise<number>((r) => s.listen(port, '127.0.0.1', () => r((s.address() as { port: number }).port)));
const close = (s: http.Server) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()));
const ask = (port: number, extra: { joinInfoTimeoutMs?: number; clock?: Clock } = {}) =>
  askForJoinInfo({ server: `http://127.0.0.1:${port}`, token: 'join-secret', minion: 'minion-2', address: '127.0.1.2', ...extra }, recordingLogger().logger);

it('an API server that starts only after the first try is asked again, and its join info returned', async () => {
  const port = await freePort();
  const { server, asked } = apiServer([{ status: 200, body: INFO }]);
  // The first wait between tries is when the server comes up: the first try found nobody listening.
  let started: Promise<number> | undefined;
  const clock: Clock = { now: realClock.now, sleep: (ms, signal) => ((started ??= listen(server, port)), started.then(() => realClock.sleep(ms, signal))) };
  try {
    expect(await ask(port, { clock })).toEqual(INFO);
    expect(started).toBeDefined();
    expect(asked()).toBe(1);
  } finally {
    await close(server);
  }
});

it('503s (etcd electing a leader behind the API server) are waited out', async () => {
  const { server, asked } = apiServer([{ status: 503, body: { message: 'etcd: leader changed' } }, { status: 503, body: {} }, { status: 200, body: INFO }]);
  const port = await listen(server);
  try {
    expect(await ask(port)).toEqual(INFO);
    expect(asked()).toBe(3);
  } finally {
    await close(server);
  }
});

it('a refused token fails at once, saying so', async () => {
  const { server, asked } = apiServer([{ status: 401, body: { message: 'invalid bearer token' } }]);
  const port = await listen(server);
  try {
    await expect(ask(port)).rejects.toThrow(`the API server at http://127.0.0.1:${port} refused the join token (401): invalid bearer token`);
    expect(asked()).toBe(1);
  } finally {
    await close(server);
  }
});

it('an API server unreachable for the whole wait fails naming it', async () => {
  const port = await freePort();
  await expect(ask(port, { joinInfoTimeoutMs: 0 })).rejects.toThrow(`cannot reach the API server at http://127.0.0.1:${port}: ECONNREFUSED`);
});
