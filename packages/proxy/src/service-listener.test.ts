import * as net from 'net';
import { bindRetryOutcome, EXPECTED_BIND_RETRY } from './testing/bind-failures';
import { LoadBalancer, type Endpoint } from './load-balancer';
import { ServiceListener, type ServiceListenerOptions } from './service-listener';
import { freePort } from '@coxswain/testing';
import { fetchText, startBlackhole, startNamedBackend, type NamedBackend } from './testing/fixtures';

// The proxy listens on a 127.0.1.x address, as on a minion; backends live on 127.0.0.1.
const PROXY_HOST = '127.0.1.21';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function backends(...names: string[]): Promise<NamedBackend[]> {
  const out = await Promise.all(names.map((n) => startNamedBackend(n)));
  for (const b of out) cleanups.push(() => b.close());
  return out;
}

function ep(b: { host: string; port: number }): Endpoint {
  return { ip: b.host, port: b.port };
}

async function listener(endpoints: Endpoint[], opts: Partial<ServiceListenerOptions> = {}): Promise<ServiceListener> {
  const balancer = opts.balancer ?? new LoadBalancer();
  balancer.setEndpoints(endpoints);
  const port = opts.port ?? (await freePort(PROXY_HOST));
  const l = new ServiceListener({ name: 'default/test:http', address: PROXY_HOST, port, ...opts, balancer });
  cleanups.push(() => l.close(true));
  l.start();
  await l.ready;
  return l;
}

/** A TCP server that echoes what it reads and, when the client half-closes, writes `bye` and ends. */
async function startEcho(): Promise<{ host: string; port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end('bye'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const e = {
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  cleanups.push(() => e.close());
  return e;
}

/** A client that sends `text` and resolves with the echo of exactly that many bytes. */
function roundTrip(sock: net.Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) {
        sock.removeListener('data', onData);
        sock.removeListener('error', reject);
        resolve(got);
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.write(text);
  });
}

function connect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
    cleanups.push(() => s.destroy());
  });
}

async function fetchMany(host: string, port: number, n: number, localAddress?: string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await fetchText(host, port, localAddress));
  return out;
}

function counts(names: string[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of names) c[n] = (c[n] ?? 0) + 1;
  return c;
}

describe('ServiceListener', () => {
  it('spreads 30 requests round robin over 3 endpoints', async () => {
    const bs = await backends('pod-a', 'pod-b', 'pod-c');
    const l = await listener(bs.map(ep));
    const names = await fetchMany(PROXY_HOST, l.port, 30);
    expect(counts(names)).toEqual({ 'pod-a': 10, 'pod-b': 10, 'pod-c': 10 });
    const s = l.stats.snapshot();
    expect(s.connectionsTotal).toBe(30);
    expect(s.errors).toBe(0);
    expect(s.bytesIn).toBeGreaterThan(30 * 20); // the requests' bytes
    expect(s.bytesOut).toBeGreaterThan(30 * 5); // the responses' bytes
  });

  it('keeps a client IP on one endpoint with ClientIP affinity', async () => {
    const bs = await backends('pod-a', 'pod-b', 'pod-c');
    const l = await listener(bs.map(ep), { balancer: new LoadBalancer({ affinity: 'ClientIP' }) });
    const fromOne = await fetchMany(PROXY_HOST, l.port, 10, '127.0.0.2');
    expect(new Set(fromOne).size).toBe(1);
    // Other clients are still spread over the endpoints.
    const others: string[] = [];
    for (const ip of ['127.0.0.3', '127.0.0.4', '127.0.0.5']) others.push(...(await fetchMany(PROXY_HOST, l.port, 3, ip)));
    expect(new Set([...fromOne, ...others]).size).toBe(3);
    for (let i = 0; i < 9; i += 3) expect(new Set(others.slice(i, i + 3)).size).toBe(1);
  });

  it('skips an endpoint that refuses, with no failure seen by the client', async () => {
    const bs = await backends('pod-a', 'pod-b');
    const dead = { ip: '127.0.0.1', port: await freePort() };
    const l = await listener([ep(bs[0]), dead, ep(bs[1])]);
    const names = await fetchMany(PROXY_HOST, l.port, 30);
    expect(new Set(names)).toEqual(new Set(['pod-a', 'pod-b']));
    const s = l.stats.snapshot();
    expect(s.errors).toBe(0);
    // The dead endpoint was tried (and skipped) on some of the connections.
    expect(s.connectFailures).toBeGreaterThanOrEqual(10);
  });

  it('gives up on an endpoint that does not answer within the connect timeout and tries the next', async () => {
    const [a] = await backends('pod-a');
    const hole = await startBlackhole();
    cleanups.push(() => hole.close());
    const l = await listener([ep(a), { ip: hole.host, port: hole.port }], { connectTimeoutMs: 200 });
    const started = Date.now();
    const names = await fetchMany(PROXY_HOST, l.port, 4);
    expect(names).toEqual(['pod-a', 'pod-a', 'pod-a', 'pod-a']);
    const failures = l.stats.snapshot().connectFailures;
    expect(failures).toBeGreaterThanOrEqual(1);
    expect(failures).toBeLessThanOrEqual(4);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('resets the client when no endpoint is left', async () => {
    const l = await listener([{ ip: '127.0.0.1', port: await freePort() }]);
    await expect(fetchText(PROXY_HOST, l.port)).rejects.toThrow(/ECONNRESET|socket hang up/);
    await expect(fetchText(PROXY_HOST, (await listener([])).port)).rejects.toThrow(/ECONNRESET|socket hang up/);
    expect(l.stats.snapshot().errors).toBe(1);
  });

  it('carries a half-close both ways: the client ends, the endpoint still answers, then ends', async () => {
    const echo = await startEcho();
    const l = await listener([ep(echo)]);
    const sock = await connect(PROXY_HOST, l.port);
    const chunks: Buffer[] = [];
    sock.on('data', (d) => chunks.push(d));
    const ended = new Promise((r) => sock.once('end', r));
    sock.end('hello');
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe('hellobye');
  });

  it('forwards bytes the client sent before the endpoint accepted', async () => {
    const echo = await startEcho();
    const l = await listener([ep(echo)]);
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.connect({ host: PROXY_HOST, port: l.port, allowHalfOpen: true });
      s.end('early'); // written before the connect completes
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('end', () => resolve(got));
      s.on('error', reject);
    });
    expect(reply).toBe('earlybye');
  });

  it('applies endpoint changes to new connections without dropping an established one', async () => {
    const echo = await startEcho();
    const [b] = await backends('pod-b');
    const balancer = new LoadBalancer();
    const l = await listener([ep(echo)], { balancer });
    const long = await connect(PROXY_HOST, l.port);
    expect(await roundTrip(long, 'one')).toBe('one');
    balancer.setEndpoints([ep(b)]);
    expect(await fetchText(PROXY_HOST, l.port)).toBe('pod-b');
    expect(await roundTrip(long, 'two')).toBe('two');
    expect(l.activeConnections).toBe(1);
  });

  it('stops accepting when closed while an established connection finishes', async () => {
    const echo = await startEcho();
    const l = await listener([ep(echo)]);
    const long = await connect(PROXY_HOST, l.port);
    expect(await roundTrip(long, 'before')).toBe('before');
    l.close();
    expect(l.listening).toBe(false);
    await expect(connect(PROXY_HOST, l.port)).rejects.toThrow(/ECONNREFUSED/);
    expect(await roundTrip(long, 'after')).toBe('after');
  });

  it('resets the client when the endpoint resets mid-stream', async () => {
    const server = net.createServer((s) => s.once('data', () => s.resetAndDestroy()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const l = await listener([{ ip: '127.0.0.1', port: (server.address() as net.AddressInfo).port }]);
    const sock = await connect(PROXY_HOST, l.port);
    const outcome = await new Promise<string>((resolve) => {
      sock.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      sock.on('end', () => resolve('clean end'));
      sock.write('x');
    });
    expect(outcome).toBe('ECONNRESET');
  });

  it('reports a port in use, retries, and serves once the port is freed', async () => {
    const [a] = await backends('pod-a');
    const squat = async () => {
      const port = await freePort(PROXY_HOST);
      const squatter = net.createServer();
      await new Promise<void>((r) => squatter.listen(port, PROXY_HOST, r));
      return { port, free: () => new Promise<void>((r) => squatter.close(() => r())) };
    };
    let port = 0;
    const outcome = await bindRetryOutcome(squat, (p, bind) => {
      port = p;
      const balancer = new LoadBalancer();
      balancer.setEndpoints([ep(a)]);
      const l = new ServiceListener({ name: 'default/test:http', address: PROXY_HOST, port: p, balancer, ...bind });
      cleanups.push(() => l.close(true));
      return l;
    });
    expect(outcome).toEqual(EXPECTED_BIND_RETRY);
    expect(await fetchText(PROXY_HOST, port)).toBe('pod-a');
  });
});
