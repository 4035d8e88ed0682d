// The kubelet's port-forward endpoint with a SPDY client written here from the spec (the real kubectl
// drives it through the API server in e2e/src/kubectl-streams.test.ts): both transports, several
// requests on one connection, the error stream's sentence for a closed port with the connection
// still serving, pings answered, and what the endpoint refuses before upgrading.
import * as http from 'http';
import * as net from 'net';
import { randomBytes } from 'crypto';
import { eventually } from '@coxswain/testing';
import { startLogServer } from './log-server';
import { MemoryRuntime } from './memory-runtime';
import { LABELS, SANDBOX_NAME } from './runtime';
import { controlFrame, dataFrame, FLAG_FIN, FrameType, parseFrames, streamIdOf, words } from './spdy-frames';
import { HeaderCodec } from './spdy-headers';

const CREDENTIAL = 'port-forward-test-credential';
const AUTH = { authorization: `Bearer ${CREDENTIAL}` };
const POD_IP = '127.0.3.2';

interface ClientStream {
  replied: boolean;
  data: Buffer[];
  ended: boolean;
}

/** The client half of SPDY/3.1 as kubectl uses it: opens streams, sends data, collects what comes back. */
class SpdyTestClient {
  readonly streams = new Map<number, ClientStream>();
  readonly pings: number[] = [];
  private readonly codec = new HeaderCodec();
  private pending = Buffer.alloc(0);
  private inbound = Promise.resolve();
  private nextId = 1;

  constructor(private readonly write: (b: Buffer) => void) {}

  feed(chunk: Buffer): void {
    const { frames, rest } = parseFrames(Buffer.concat([this.pending, chunk]));
    this.pending = Buffer.from(rest);
    for (const f of frames) {
      this.inbound = this.inbound.then(async () => {
        if (f.kind === 'data') {
          const s = this.streams.get(f.streamId)!;
          s.data.push(f.data);
          if (f.flags & FLAG_FIN) s.ended = true;
        } else if (f.type === FrameType.SYN_REPLY) {
          await this.codec.decompress(f.payload.subarray(4));
          this.streams.get(streamIdOf(f.payload))!.replied = true;
        } else if (f.type === FrameType.PING) this.pings.push(f.payload.readUInt32BE(0));
      });
    }
  }

  /** Opens the error and data streams of one forwarded connection, as kubectl does. */
  async forward(requestId: number, port: number): Promise<{ error: number; data: number }> {
    const open = async (streamtype: string) => {
      const id = this.nextId;
      this.nextId += 2;
      this.streams.set(id, { replied: false, data: [], ended: false });
      const block = await this.codec.compress({ streamtype: [streamtype], port: [String(port)], requestid: [String(requestId)] });
      this.write(controlFrame(FrameType.SYN_STREAM, 0, Buffer.concat([words(id, 0), Buffer.from([0, 0]), block])));
      return id;
    };
    const error = await open('error');
    this.write(dataFrame(error, FLAG_FIN, Buffer.alloc(0)));
    return { error, data: await open('data') };
  }

  send(id: number, data: string, fin = false): void {
    this.write(dataFrame(id, fin ? FLAG_FIN : 0, Buffer.from(data)));
  }

  text(id: number): string {
    return Buffer.concat(this.streams.get(id)!.data).toString();
  }

  ended(id: number): boolean {
    const s = this.streams.get(id)!;
    return s.replied && s.ended;
  }
}

/** A client binary WebSocket frame (masked, as RFC 6455 requires of clients). */
function wsFrame(payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x82, 0x80 | len]) : Buffer.concat([Buffer.from([0x82, 0x80 | 126]), words(len).subarray(2)]);
  if (len > 0xffff) throw new Error('test frames stay under 64 KiB');
  const mask = randomBytes(4);
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))]);
}

/** Payloads of the server's (unmasked) WebSocket frames, fed as they complete. */
function readWsFrames(onPayload: (p: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1] & 0x7f;
      let at = 2;
      if (len === 126) [len, at] = [buf.length >= 4 ? buf.readUInt16BE(2) : Infinity, 4];
      else if (len === 127) [len, at] = [buf.length >= 10 ? Number(buf.readBigUInt64BE(2)) : Infinity, 10];
      if (buf.length < at + len) return;
      if ((buf[0] & 0x0f) <= 2) onPayload(buf.subarray(at, at + len));
      buf = buf.subarray(at + len);
    }
  };
}

/**
 * kubectl's tunnel, by hand: the `ws` client refuses to offer `SPDY/3.1+portforward.k8s.io` (a `/`
 * is not an RFC 6455 token), but client-go offers exactly that.
 */
function overWebSocket(url: string): Promise<{ client: SpdyTestClient; protocol: string; close(): void }> {
  return new Promise((resolve, reject) => {
    const headers = { ...AUTH, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64'), 'sec-websocket-protocol': 'SPDY/3.1+portforward.k8s.io' };
    const req = http.request(url, { headers });
    req.on('upgrade', (res, socket, head) => {
      const client = new SpdyTestClient((b) => socket.write(wsFrame(b)));
      const read = readWsFrames((p) => client.feed(p));
      socket.on('data', read);
      if (head.length) read(head);
      resolve({ client, protocol: String(res.headers['sec-websocket-protocol']), close: () => socket.destroy() });
    });
    req.on('response', (res) => reject(new Error(`answered ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

function overSpdyUpgrade(url: string): Promise<{ client: SpdyTestClient; headers: http.IncomingHttpHeaders; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...AUTH, connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' } });
    req.on('upgrade', (res, socket, head) => {
      const client = new SpdyTestClient((b) => socket.write(b));
      socket.on('data', (c: Buffer) => client.feed(c));
      if (head.length) client.feed(head);
      resolve({ client, headers: res.headers, close: () => socket.destroy() });
    });
    req.on('response', (res) => reject(new Error(`answered ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Status and body of a refused upgrade. */
function refusal(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers: { connection: 'Upgrade', ...headers } });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', () => reject(new Error('upgraded')));
    req.end();
  });
}

const listen = (server: net.Server) => new Promise<number>((r) => server.listen(0, POD_IP, () => r((server.address() as net.AddressInfo).port)));

describe('kubelet port-forward (SPDY/3.1, portforward.k8s.io)', () => {
  let echo: net.Server;
  let echoPort: number;
  let closedPort: number;
  let server: Awaited<ReturnType<typeof startLogServer>>;
  let base: string;

  beforeAll(async () => {
    const runtime = new MemoryRuntime({ images: ['pause'] });
    await runtime.ensureNetwork({ name: 'n', subnet: '127.0.3.0/24', gateway: '127.0.3.1' });
    const labels = { [LABELS.minion]: 'm1', [LABELS.namespace]: 'default', [LABELS.podName]: 'p', [LABELS.container]: SANDBOX_NAME };
    await runtime.runSandbox({ name: 's', image: 'pause', labels, network: 'n', ports: [] });
    echo = net.createServer((s) => s.pipe(s));
    echoPort = await listen(echo);
    const closed = net.createServer();
    closedPort = await listen(closed);
    await new Promise((r) => closed.close(r));
    server = await startLogServer({ minion: 'm1', runtime, host: '127.0.0.1', port: 0, credential: CREDENTIAL });
    base = `${server.url}/portForward/default/p`;
  });
  afterAll(async () => {
    await server?.close();
    echo?.close();
  });

  it('tunnelled in a WebSocket: several connections, a closed port reported on the error stream while the rest go on, pings answered', async () => {
    const { client, protocol, close } = await overWebSocket(base);
    try {
      expect(protocol).toBe('SPDY/3.1+portforward.k8s.io');
      const first = await client.forward(0, echoPort);
      const second = await client.forward(1, echoPort);
      client.send(first.data, 'to the first ');
      client.send(second.data, 'to the second', true);
      client.send(first.data, 'and more', true);
      await eventually(() => client.ended(first.data) && client.ended(second.data), 5000, 'both echoes ended', 20);
      expect([client.text(first.data), client.text(second.data)]).toEqual(['to the first and more', 'to the second']);
      // The pod side closed: each error stream ends empty, so kubectl sees no error.
      await eventually(() => client.ended(first.error) && client.ended(second.error), 5000, 'error streams ended', 20);
      expect(client.text(first.error)).toBe('');

      const refused = await client.forward(2, closedPort);
      await eventually(() => client.ended(refused.error) && client.ended(refused.data), 5000, 'the refused request ended', 20);
      expect(client.text(refused.error)).toBe(`error forwarding port ${closedPort} to pod default/p: connect ECONNREFUSED ${POD_IP}:${closedPort}`);
      const bad = await client.forward(3, 0);
      await eventually(() => client.ended(bad.error), 5000, 'the bad port reported', 20);
      expect(client.text(bad.error)).toBe('error forwarding port 0 to pod default/p: the port must be a number from 1 to 65535');

      // The connection itself still serves.
      const after = await client.forward(4, echoPort);
      client.send(after.data, 'still here', true);
      await eventually(() => client.ended(after.data), 5000, 'an echo after the errors', 20);
      expect(client.text(after.data)).toBe('still here');
      client['write'](controlFrame(FrameType.PING, 0, words(7)));
      await eventually(() => client.pings.includes(7), 5000, 'the ping answered', 20);
    } finally {
      close();
    }
  });

  it('after a plain SPDY/3.1 upgrade (kubectl\'s fallback), with the protocol confirmed', async () => {
    const { client, headers, close } = await overSpdyUpgrade(base);
    try {
      expect(headers['x-stream-protocol-version']).toBe('portforward.k8s.io');
      const one = await client.forward(0, echoPort);
      client.send(one.data, 'over plain SPDY', true);
      await eventually(() => client.ended(one.data), 5000, 'the echo', 20);
      expect(client.text(one.data)).toBe('over plain SPDY');
    } finally {
      close();
    }
  });

  it('refuses before upgrading: no credential, no protocol it speaks, a pod it does not run', async () => {
    const ws = { upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    expect((await refusal(base, { ...ws, 'sec-websocket-protocol': 'SPDY/3.1+portforward.k8s.io' })).status).toBe(401);
    expect(await refusal(base, { ...AUTH, ...ws, 'sec-websocket-protocol': 'v5.channel.k8s.io' })).toEqual({
      status: 400,
      body: 'port-forward needs a WebSocket upgrade offering the subprotocol SPDY/3.1+portforward.k8s.io, or an upgrade to SPDY/3.1 with X-Stream-Protocol-Version portforward.k8s.io\n',
    });
    expect(await refusal(`${server.url}/portForward/default/ghost`, { ...AUTH, ...ws, 'sec-websocket-protocol': 'SPDY/3.1+portforward.k8s.io' })).toEqual({
      status: 404,
      body: 'pod default/ghost has no running network sandbox on minion m1\n',
    });
  });
});
