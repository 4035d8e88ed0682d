import * as http from 'http';
import { startLogServer } from './log-server';
import { MemoryRuntime } from './memory-runtime';
import { LABELS } from './runtime';
import { FakeClock } from '@coxswain/testing';

function get(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; body: string }> {
  return follow(url, headers).then((r) => r.done);
}

/** Resolves once the response has begun (the server follows the log by then), with the whole response to come. */
function follow(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ done: Promise<{ status: number; body: string }> }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      resolve({ done: new Promise((r) => res.on('end', () => r({ status: res.statusCode ?? 0, body }))) });
    }).on('error', reject);
  });
}

/** Container c of pod default/p on minion m1, running. */
async function runningContainer(runtime: MemoryRuntime): Promise<string> {
  await runtime.ensureNetwork({ name: 'n', subnet: '10.9.0.0/24', gateway: '10.9.0.1' });
  const sandbox = await runtime.runSandbox({ name: 's', image: 'pause', labels: {}, network: 'n', ports: [] });
  const labels = { [LABELS.minion]: 'm1', [LABELS.namespace]: 'default', [LABELS.podName]: 'p', [LABELS.container]: 'c', [LABELS.attempt]: '0' };
  const c = await runtime.createContainer({ name: 'c0', image: 'img', env: [], labels, sandboxId: sandbox });
  await runtime.startContainer(c);
  return c;
}

describe('log server', () => {
  it('serves health, the tail of the newest container, the previous one, and follows', async () => {
    const runtime = new MemoryRuntime({ images: ['pause', 'img'] });
    await runtime.ensureNetwork({ name: 'n', subnet: '10.9.0.0/24', gateway: '10.9.0.1' });
    const labels = (attempt: number) => ({ [LABELS.minion]: 'm1', [LABELS.namespace]: 'default', [LABELS.podName]: 'p', [LABELS.container]: 'c', [LABELS.attempt]: String(attempt) });
    const sandbox = await runtime.runSandbox({ name: 's', image: 'pause', labels: {}, network: 'n', ports: [] });
    const old = await runtime.createContainer({ name: 'c0', image: 'img', env: [], labels: labels(0), sandboxId: sandbox });
    runtime.appendLog(old, 'old run\n');
    const cur = await runtime.createContainer({ name: 'c1', image: 'img', env: [], labels: labels(1), sandboxId: sandbox });
    await runtime.startContainer(cur);
    runtime.appendLog(cur, 'one\ntwo\nthree\n');

    const server = await startLogServer({ minion: 'm1', runtime, host: '127.0.0.1', port: 0 });
    try {
      expect(await get(`${server.url}/healthz`)).toEqual({ status: 200, body: '{"ok":true,"minion":"m1"}\n' });
      expect((await get(`${server.url}/metrics`)).body).toMatch(/^process_cpu_seconds_total \S+$/m);
      expect(await get(`${server.url}/containerLogs/default/p/c?tail=2`)).toEqual({ status: 200, body: 'two\nthree\n' });
      expect((await get(`${server.url}/containerLogs/default/p/c?previous=true`)).body).toBe('old run\n');
      expect((await get(`${server.url}/containerLogs/default/p/nope`)).status).toBe(404);
      expect((await get(`${server.url}/containerLogs/default/p/c?tail=x`)).status).toBe(400);

      // The headers come once the server follows the log: what is appended after them is streamed.
      const followed = await follow(`${server.url}/containerLogs/default/p/c?follow=true&tail=0`);
      runtime.appendLog(cur, 'later\n');
      runtime.crash(cur);
      expect(await followed.done).toEqual({ status: 200, body: 'later\n' });
    } finally {
      await server.close();
    }
  });

  it('with a credential, answers 401 to anonymous or wrong bearers and serves the right one', async () => {
    const runtime = new MemoryRuntime({ images: ['pause', 'img'] });
    const c = await runningContainer(runtime);
    runtime.appendLog(c, 'secret line\n');
    const summary = async () => JSON.stringify({ node: { nodeName: 'm1' }, pods: [] });
    const server = await startLogServer({ minion: 'm1', runtime, host: '127.0.0.1', port: 0, summary, credential: 's3cret-credential' });
    try {
      expect((await get(`${server.url}/healthz`)).status).toBe(200);
      for (const path of ['/containerLogs/default/p/c', '/stats/summary', '/exec/default/p/c', '/attach/default/p/c', '/portForward/default/p']) {
        expect((await get(`${server.url}${path}`)).status).toBe(401);
        expect((await get(`${server.url}${path}`, { authorization: 'Bearer wrong' })).status).toBe(401);
        expect((await get(`${server.url}${path}`, { authorization: 'Basic czNjcmV0LWNyZWRlbnRpYWw=' })).status).toBe(401);
      }
      const good = { authorization: 'Bearer s3cret-credential' };
      expect(await get(`${server.url}/containerLogs/default/p/c`, good)).toEqual({ status: 200, body: 'secret line\n' });
      expect((await get(`${server.url}/stats/summary`, good)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('serves timestamps, lines since a time, and at most limitBytes', async () => {
    const clock = new FakeClock(Date.parse('2026-12-05T10:00:00Z'));
    const runtime = new MemoryRuntime({ images: ['pause', 'img'], clock });
    const c = await runningContainer(runtime);
    runtime.appendLog(c, 'early\n');
    await clock.advance(3600_000);
    runtime.appendLog(c, 'late one\nlate two\n');
    const server = await startLogServer({ minion: 'm1', runtime, host: '127.0.0.1', port: 0 });
    try {
      const base = `${server.url}/containerLogs/default/p/c`;
      expect((await get(`${base}?timestamps=true&tailLines=2`)).body).toBe('2026-12-05T11:00:00.000Z late one\n2026-12-05T11:00:00.000Z late two\n');
      expect((await get(`${base}?sinceTime=2026-12-05T10:30:00Z`)).body).toBe('late one\nlate two\n');
      expect((await get(`${base}?limitBytes=8`)).body).toBe('early\nla');
      expect(await get(`${base}?sinceSeconds=never`)).toEqual({ status: 400, body: 'invalid sinceSeconds "never": must be a positive integer\n' });

      // A followed log with timestamps gets new lines stamped too.
      const followed = await follow(`${base}?follow=true&tailLines=0&timestamps=true`);
      await clock.advance(1000);
      runtime.appendLog(c, 'then\n');
      runtime.crash(c);
      expect((await followed.done).body).toBe('2026-12-05T11:00:01.000Z then\n');
    } finally {
      await server.close();
    }
  });
});
