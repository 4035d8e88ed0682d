import http from 'http';
import { serveHealth, HealthServer } from './health-server';

function get(url: string, method = 'GET'): Promise<{ status: number; body: string; type?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serveHealth', () => {
  const servers: HealthServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  async function start(opts: Parameters<typeof serveHealth>[0]) {
    const s = await serveHealth(opts);
    servers.push(s);
    return s;
  }

  it('answers 200 while checks pass and 503 with the reason when they fail', async () => {
    let healthy = true;
    const s = await start({ port: 0, checks: async () => ({ ok: healthy, detail: { etcd: healthy ? 'ok' : 'unreachable' } }) });
    const ok = await get(`${s.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ status: 'ok', detail: { etcd: 'ok' } });
    healthy = false;
    const bad = await get(`${s.url}/healthz`);
    expect(bad.status).toBe(503);
    expect(JSON.parse(bad.body)).toEqual({ status: 'unhealthy', detail: { etcd: 'unreachable' } });
  });

  it('a check that throws or hangs is unhealthy, and the server keeps serving', async () => {
    let mode: 'throw' | 'hang' = 'throw';
    const s = await start({
      port: 0,
      checkTimeoutMs: 100,
      checks: () => (mode === 'throw' ? Promise.reject(new Error('no etcd')) : new Promise(() => undefined)),
    });
    const thrown = await get(`${s.url}/healthz`);
    expect(thrown.status).toBe(503);
    expect(thrown.body).toMatch(/no etcd/);
    mode = 'hang';
    const hung = await get(`${s.url}/healthz`);
    expect(hung.status).toBe(503);
    expect(hung.body).toMatch(/timed out/);
  });

  it('serves /metrics: the process\'s own families (prom-client defaults) and the hook\'s after them; rejects other methods and paths', async () => {
    const s = await start({ port: 0, metrics: () => 'coxswain_up 1' });
    const m = await get(`${s.url}/metrics`);
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain/);
    expect(m.body).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
    expect(m.body).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect(m.body.trimEnd().endsWith('\ncoxswain_up 1')).toBe(true);
    expect((await get(`${s.url}/healthz`)).status).toBe(200); // no checks = healthy
    expect((await get(`${s.url}/nope`)).status).toBe(404);
    expect((await get(`${s.url}/healthz`, 'POST')).status).toBe(405);
    const plain = await start({ port: 0 });
    expect((await get(`${plain.url}/metrics`)).body).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('fails to start on a port that is taken', async () => {
    const s = await start({ port: 0 });
    await expect(serveHealth({ port: s.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
