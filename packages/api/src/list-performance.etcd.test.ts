// LIST of 20,000 pods through the API, next to what it cannot beat: one etcd range read of the same
// keys plus a JSON decode of each value. The API adds conversion to v1beta1, encoding and HTTP.
import { resourcePrefix } from '@coxswain/objects';
import { prefixRangeEnd } from '@coxswain/store';
import { execFile } from 'node:child_process';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { writeBulkPods } from './testing/bulk-pods';

const N = 20_000;
let f: ApiFixture;


const CLIENT = `
const http = require('http');
http.get(process.argv[1], (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString());
    process.stdout.write(JSON.stringify({ items: body.items.length }));
  });
});`;

function runClient(url: string): Promise<{ items: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', CLIENT, url], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))));
  });
}

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

beforeAll(async () => {
  f = await startApiFixture();
  await writeBulkPods(f.etcdClient, 'perf', N);
}, 120_000);
afterAll(() => f?.stop(), 30_000);

it(`lists ${N} pods in v1beta1 at close to the cost of a raw etcd range read + JSON decode`, async () => {
  const prefix = Buffer.from(resourcePrefix('pods', 'perf'));
  const raw = async () => {
    const res = await f.etcdClient.kv.range({ key: prefix, range_end: prefixRangeEnd(prefix) });
    const items = res.kvs.map((kv) => JSON.parse(kv.value.toString()));
    expect(items.length).toBe(N);
  };
  // The client runs in its own process, as a real one would: in this process it would share the
  // server's event loop and be counted twice.
  const viaApi = async () => {
    const out = await runClient(`${f.url}/api/v1beta1/pods?namespace=perf`);
    expect(out.items).toBe(N);
  };
  await raw();
  await viaApi(); // warm up both paths
  const tRaw = await median(5, raw);
  const tNode = await median(5, () => runClient(`${f.url}/healthz-does-not-exist`).catch(() => undefined));
  const tApi = (await median(5, viaApi)) - tNode;
  const sample = await (await fetch(`${f.url}/api/v1beta1/pods/perf-7?namespace=perf`)).json();
  expect(sample).toMatchObject({ id: 'perf-7', desiredState: { host: 'minion-7' } });
  // eslint-disable-next-line no-console
  console.log(`LIST ${N} pods: raw etcd range + decode ${tRaw.toFixed(0)} ms; API (v1beta1, HTTP, client decode; minus ${tNode.toFixed(0)} ms of client process start) ${tApi.toFixed(0)} ms; ratio ${(tApi / tRaw).toFixed(2)}`);
  expect(tApi).toBeLessThan(tRaw * 4 + 200);
}, 120_000);
