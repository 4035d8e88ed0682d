import * as dgram from 'dgram';
import { eventually, FakeClock } from '@coxswain/testing';
import { bindRetryOutcome, EXPECTED_BIND_RETRY } from './testing/bind-failures';
import { LoadBalancer, type Endpoint } from './load-balancer';
import { UdpServiceListener, type UdpServiceListenerOptions } from './udp-service-listener';

// The proxy listens on a 127.0.1.x address, as on a minion; endpoints live on 127.0.0.1.
const PROXY_HOST = '127.0.1.26';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface Echo extends Endpoint {
  name: string;
  /** Client addresses (ip:port as the endpoint saw them) per datagram. */
  seen: string[];
}

/** A UDP server that answers each datagram with `<name>:<datagram>`. */
async function startEcho(name: string): Promise<Echo> {
  const socket = dgram.createSocket('udp4');
  const seen: string[] = [];
  socket.on('message', (msg, from) => {
    seen.push(`${from.address}:${from.port}`);
    socket.send(`${name}:${msg.toString()}`, from.port, from.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
  return { name, ip: '127.0.0.1', port: socket.address().port, seen };
}

/** A port on 127.0.0.1 where nothing listens: datagrams to it draw an ICMP port unreachable. */
async function deadPort(): Promise<Endpoint> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const port = socket.address().port;
  await new Promise<void>((r) => socket.close(() => r()));
  return { ip: '127.0.0.1', port };
}

async function client(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
  return socket;
}

/** Sends `text` to the proxy and resolves with the first reply (rejects after `timeoutMs`). */
function request(sock: dgram.Socket, port: number, text: string, timeoutMs = 2000): Promise<{ reply: string; from: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.removeListener('message', onMessage);
      reject(new Error(`no reply to ${text} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (msg: Buffer, from: dgram.RemoteInfo) => {
      clearTimeout(timer);
      sock.removeListener('message', onMessage);
      resolve({ reply: msg.toString(), from: `${from.address}:${from.port}` });
    };
    sock.on('message', onMessage);
    sock.send(text, port, PROXY_HOST);
  });
}

async function listener(endpoints: Endpoint[], opts: Partial<UdpServiceListenerOptions> = {}): Promise<UdpServiceListener> {
  const balancer = opts.balancer ?? new LoadBalancer();
  balancer.setEndpoints(endpoints);
  const l = new UdpServiceListener({ name: 'default/dns:dns', address: PROXY_HOST, port: 0, ...opts, balancer });
  cleanups.push(() => l.close(true));
  l.start();
  await l.ready;
  return l;
}

describe('UdpServiceListener', () => {
  it('spreads 3 clients round robin over 3 endpoints, each reply reaching its own client from the service address', async () => {
    const echoes = await Promise.all(['pod-a', 'pod-b', 'pod-c'].map(startEcho));
    const l = await listener(echoes);
    const clients = await Promise.all([client(), client(), client()]);
    const first = await Promise.all(clients.map((c, i) => request(c, l.port, `hello-${i}`)));
    const names = first.map((r, i) => {
      const [name, payload] = r.reply.split(':');
      expect(payload).toBe(`hello-${i}`);
      expect(r.from).toBe(`${PROXY_HOST}:${l.port}`);
      return name;
    });
    expect(new Set(names)).toEqual(new Set(['pod-a', 'pod-b', 'pod-c']));
    // Later datagrams of a client stay in its session, on its endpoint.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < clients.length; i++) expect((await request(clients[i], l.port, `again-${i}`)).reply).toBe(`${names[i]}:again-${i}`);
    }
    expect(l.activeSessions).toBe(3);
    const s = l.stats.snapshot();
    expect(s).toMatchObject({ connectionsTotal: 3, connectionsActive: 3, datagramsIn: 12, datagramsOut: 12, datagramsDropped: 0, errors: 0 });
    expect(s.bytesIn).toBe(3 * 'hello-0'.length + 9 * 'again-0'.length);
  });

  it('keeps every client IP on one endpoint with ClientIP affinity', async () => {
    const echoes = await Promise.all(['pod-a', 'pod-b', 'pod-c'].map(startEcho));
    const l = await listener(echoes, { balancer: new LoadBalancer({ affinity: 'ClientIP' }) });
    const names = new Set<string>();
    for (let i = 0; i < 4; i++) names.add((await request(await client(), l.port, 'x')).reply.split(':')[0]);
    expect(names.size).toBe(1);
    expect(l.activeSessions).toBe(4);
  });

  it('ends idle sessions, and the next datagram opens a new session on the next endpoint', async () => {
    const echoes = await Promise.all(['pod-a', 'pod-b'].map(startEcho));
    const clock = new FakeClock();
    const l = await listener(echoes, { sessionTimeoutMs: 100, clock });
    const c = await client();
    const first = (await request(c, l.port, 'one')).reply.split(':')[0];
    expect(l.activeSessions).toBe(1);
    // Activity keeps the session: three datagrams 60 ms apart span longer than the timeout.
    for (let i = 0; i < 3; i++) {
      await clock.advance(60);
      expect((await request(c, l.port, 'keep')).reply).toBe(`${first}:keep`);
    }
    expect(l.stats.snapshot().connectionsTotal).toBe(1);
    await clock.advance(100);
    await eventually(() => l.activeSessions === 0, 2000, 'the idle session ended', 10);
    expect(l.stats.snapshot().connectionsActive).toBe(0);
    const second = (await request(c, l.port, 'two')).reply.split(':')[0];
    expect(second).not.toBe(first);
    expect(l.stats.snapshot().connectionsTotal).toBe(2);
  });

  it('moves a session to the next endpoint when one refuses (ICMP port unreachable), without the client resending', async () => {
    const dead = await Promise.all([deadPort(), deadPort()]);
    const live = await startEcho('pod-live');
    const l = await listener([...dead, live]);
    // Whatever endpoint each client's session starts on, its one datagram gets an answer from the live one.
    for (let i = 0; i < 3; i++) expect((await request(await client(), l.port, `q${i}`)).reply).toBe(`pod-live:q${i}`);
    const s = l.stats.snapshot();
    expect(s.connectFailures).toBeGreaterThanOrEqual(2);
    expect(s.errors).toBe(0);
    expect(live.seen).toHaveLength(3);
  });

  it('drops datagrams when every endpoint refuses, and counts them', async () => {
    const l = await listener([await deadPort(), await deadPort()]);
    const c = await client();
    await expect(request(c, l.port, 'lost', 300)).rejects.toThrow(/no reply/);
    await eventually(() => l.stats.snapshot().errors === 1, 2000, 'the dropped datagram counted', 10);
    expect(l.stats.snapshot().connectFailures).toBe(2);
    expect(l.activeSessions).toBe(0);
  });

  it('moves a session off an endpoint that left the Endpoints on its next datagram', async () => {
    const [a, b] = await Promise.all(['pod-a', 'pod-b'].map(startEcho));
    const balancer = new LoadBalancer();
    const l = await listener([a, b], { balancer });
    const c = await client();
    const first = (await request(c, l.port, '1')).reply.split(':')[0];
    const [gone, stays] = first === 'pod-a' ? [a, b] : [b, a];
    balancer.setEndpoints([stays]);
    expect((await request(c, l.port, '2')).reply).toBe(`${stays.name}:2`);
    expect(gone.seen).toHaveLength(1);
    expect(l.stats.snapshot().connectionsTotal).toBe(1);
  });

  it('evicts the least recently active session beyond maxSessions', async () => {
    const echo = await startEcho('pod-a');
    const l = await listener([echo], { maxSessions: 2 });
    const [c1, c2, c3] = await Promise.all([client(), client(), client()]);
    await request(c1, l.port, 'a');
    await request(c2, l.port, 'b');
    await request(c1, l.port, 'a again'); // c2 is now the least recently active
    await request(c3, l.port, 'c');
    expect(l.activeSessions).toBe(2);
    expect(l.stats.snapshot().connectionsTotal).toBe(3);
    // c1 kept its session (the endpoint saw the same proxy-side address); c2's next datagram opens a new one.
    expect(new Set(echo.seen.slice(0, 3)).size).toBe(2);
    await request(c2, l.port, 'b again');
    expect(l.stats.snapshot().connectionsTotal).toBe(4);
  });

  it('reports a port in use, retries, and serves once the port is freed', async () => {
    const echo = await startEcho('pod-a');
    const squat = async () => {
      const squatter = dgram.createSocket('udp4');
      await new Promise<void>((r) => squatter.bind(0, PROXY_HOST, r));
      return { port: squatter.address().port, free: () => new Promise<void>((r) => squatter.close(() => r())) };
    };
    let l: UdpServiceListener | undefined;
    const outcome = await bindRetryOutcome(squat, (port, bind) => {
      const balancer = new LoadBalancer();
      balancer.setEndpoints([echo]);
      l = new UdpServiceListener({ name: 'default/dns:dns', address: PROXY_HOST, port, balancer, ...bind });
      cleanups.push(() => l!.close(true));
      return l;
    });
    expect(outcome).toEqual(EXPECTED_BIND_RETRY);
    expect((await request(await client(), l!.port, 'hi')).reply).toBe('pod-a:hi');
  });

  it('closes its port and its sessions on close', async () => {
    const echo = await startEcho('pod-a');
    const l = await listener([echo]);
    const c = await client();
    await request(c, l.port, 'hi');
    l.close();
    expect(l.listening).toBe(false);
    expect(l.activeSessions).toBe(0);
    expect(l.stats.snapshot().connectionsActive).toBe(0);
    // The port is free again.
    const again = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.bind(l.port, PROXY_HOST, resolve);
    });
    await new Promise<void>((r) => again.close(() => r()));
  });
});
