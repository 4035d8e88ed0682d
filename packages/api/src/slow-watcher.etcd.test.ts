// A watcher that never reads cannot make the API server hold its events without bound: once its
// connection holds more unsent bytes than the cap, it is cut off with a reason it can read (a
// WebSocket close code and reason; for a chunked HTTP watch a last ERROR line, then the stream ends),
// while a watcher that reads gets every event.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import WebSocket from 'ws';
import type { Pod } from '@coxswain/objects';
import { eventually, parsePrometheusText, unreadHttpGet } from '@coxswain/testing';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

const CAP = 256 * 1024;
// Enough bytes of events to fill the loopback socket's kernel buffers on both sides and then the cap.
const PODS = 300;
const BIG = 'x'.repeat(64 * 1024);

let f: ApiFixture;
beforeAll(async () => {
  f = await startApiFixture({ watchBufferBytes: CAP });
}, 60_000);
afterAll(async () => f?.stop(), 30_000);

const scrape = async () => parsePrometheusText((await call(f.url, 'GET', '/metrics')).text);
const watchers = async () => (await scrape()).samples.get('apiserver_registered_watchers{resource="pods"}') ?? 0;
const cutOffs = async (transport: string) => (await scrape()).samples.get(`apiserver_watchers_cut_off_total{transport="${transport}"}`) ?? 0;

const bigPod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'slow', annotations: { filler: BIG } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });

async function writeBigPods(prefix: string): Promise<void> {
  await f.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'slow' } } as never).catch(() => undefined);
  for (let i = 0; i < PODS; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, PODS - i) }, (_, j) => f.store.create(bigPod(`${prefix}-${i + j}`))));
  }
}

/** Opens a chunked HTTP watch on a raw socket that reads nothing until told to. */
const rawHttpWatch = (path: string) => unreadHttpGet(f.url, path);

it('cuts off a chunked HTTP watcher that never reads: a last ERROR line names the reason, then the stream ends', async () => {
  const before = await cutOffs('http');
  const socket = await rawHttpWatch('/api/v1/namespaces/slow/pods?watch=true&resourceVersion=' + (await f.store.currentRevision()));
  // A watcher that reads, beside it, sees every event.
  const reader = new WebSocket(`${f.url.replace('http', 'ws')}/api/v1/namespaces/slow/pods?watch=true&resourceVersion=${await f.store.currentRevision()}`);
  let readerEvents = 0;
  reader.on('message', () => readerEvents++);
  await eventually(async () => (await watchers()) === 2, 10_000, 'both watches open');
  await writeBigPods('http');
  await eventually(async () => (await cutOffs('http')) === before + 1, 20_000, 'the slow watcher cut off');
  await eventually(async () => (await watchers()) === 1, 10_000, 'only the reading watcher left');
  // Now the slow client reads what it was sent: the stream ends (the server closes the connection), the last line says why.
  const received: Buffer[] = [];
  socket.on('data', (c) => received.push(c));
  await new Promise<void>((resolve) => socket.on('end', resolve).resume());
  const text = Buffer.concat(received).toString();
  const lines = text.split('\n').filter((l) => l.startsWith('{'));
  const last = JSON.parse(lines[lines.length - 1]!);
  expect(last).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 503 } });
  expect(last.object.message).toContain('watcher too slow');
  expect(lines.length - 1).toBeLessThan(PODS); // it was cut off before being sent everything
  // What the server held for it stayed within the cap: all it ever got is at most the cap, what the
  // kernel buffers between the two sockets (the sender's buffer at its largest, the receiver's at its
  // start: a socket that is not read does not grow), and the message that would have passed the cap.
  const [, rcvStart] = readFileSync('/proc/sys/net/ipv4/tcp_rmem', 'utf8').trim().split(/\s+/).map(Number);
  const [, , sndMax] = readFileSync('/proc/sys/net/ipv4/tcp_wmem', 'utf8').trim().split(/\s+/).map(Number);
  const bound = CAP + rcvStart! + sndMax! + BIG.length + 4096;
  expect(bound).toBeLessThan(PODS * BIG.length); // the figure below means something
  expect(Buffer.byteLength(text)).toBeLessThan(bound);
  // The reading watcher got every pod.
  await eventually(() => readerEvents === PODS, 10_000, `all ${PODS} events at the reading watcher`);
  reader.close();
  await eventually(async () => (await watchers()) === 0, 10_000, 'the reading watcher closed');
}, 60_000);

it('cuts off a WebSocket watcher that never reads with close code 1008 and the reason', async () => {
  const before = await cutOffs('websocket');
  const rv = await f.store.currentRevision();
  const ws = new WebSocket(`${f.url.replace('http', 'ws')}/api/v1/namespaces/slow/pods?watch=true&resourceVersion=${rv}`);
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const socket = (ws as unknown as { _socket: net.Socket })._socket; // test only: stop reading below the WebSocket
  socket.pause();
  await writeBigPods('ws');
  await eventually(async () => (await cutOffs('websocket')) === before + 1, 20_000, 'the slow watcher cut off');
  await eventually(async () => (await watchers()) === 0, 10_000, 'no watcher left');
  socket.resume();
  const { code, reason } = await closed;
  expect(code).toBe(1008);
  expect(reason).toContain('watcher too slow');
}, 60_000);
