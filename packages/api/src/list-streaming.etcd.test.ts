// A large LIST must not hold the API server's event loop: while its body is being encoded and
// written, other requests are still answered. The client runs in its own process (as a real one
// would), so only the server's event loop is under test.
import { execFile } from 'node:child_process';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { writeBulkPods } from './testing/bulk-pods';

const N = 5_000;
let f: ApiFixture;


// Starts the LIST; as soon as its response begins (headers and the first chunk), asks for
// /healthz and one pod on fresh connections, and reports when each finished.
const CLIENT = `
const http = require('http');
const [listUrl, healthUrl, podUrl] = process.argv.slice(1);
const t0 = process.hrtime.bigint();
const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
const out = {};
let pending = 3;
const done = () => { if (--pending === 0) process.stdout.write(JSON.stringify(out)); };
function get(url, key, onResponse) {
  http.get(url, { agent: false }, (res) => {
    if (onResponse) onResponse();
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => { out[key] = { at: ms(), status: res.statusCode, body: Buffer.concat(chunks).toString() }; done(); });
  });
}
get(listUrl, 'list', () => { out.firstByte = ms(); get(healthUrl, 'health'); get(podUrl, 'pod'); });`;

interface Answer {
  at: number;
  status: number;
  body: string;
}

function runClient(...urls: string[]): Promise<Record<'list' | 'health' | 'pod', Answer> & { firstByte: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', CLIENT, ...urls], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))));
  });
}

beforeAll(async () => {
  f = await startApiFixture();
  await writeBulkPods(f.etcdClient, 'big', N);
}, 60_000);
afterAll(() => f?.stop(), 30_000);

it(`answers /healthz and a GET of one pod while a LIST of ${N} pods is still being sent`, async () => {
  const r = await runClient(`${f.url}/api/v1beta1/pods?namespace=big`, `${f.url}/healthz`, `${f.url}/api/v1beta1/pods/big-7?namespace=big`);
  expect(r.list.status).toBe(200);
  expect(r.health.status).toBe(200);
  expect(r.pod.status).toBe(200);
  expect(JSON.parse(r.pod.body)).toMatchObject({ id: 'big-7', desiredState: { host: 'minion-7' } });

  // The streamed body is exactly what JSON.stringify of the whole list would have produced.
  const list = JSON.parse(r.list.body);
  expect(list.items).toHaveLength(N);
  expect(list).toMatchObject({ kind: 'PodList', apiVersion: 'v1beta1' });
  expect(r.list.body).toBe(JSON.stringify(list));
  expect(new Set(list.items.map((p: { id: string }) => p.id)).size).toBe(N);

  // eslint-disable-next-line no-console
  console.log(`LIST ${N} pods: first byte at ${r.firstByte.toFixed(0)} ms, finished at ${r.list.at.toFixed(0)} ms; /healthz at ${r.health.at.toFixed(0)} ms, GET pod at ${r.pod.at.toFixed(0)} ms`);
  expect(r.health.at).toBeLessThan(r.list.at);
  expect(r.pod.at).toBeLessThan(r.list.at);
}, 60_000);
