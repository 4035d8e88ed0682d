// GET /metrics of the API server, parsed as Prometheus text: prom-client's process families, and the
// API's own moving as requests are made.
import WebSocket from 'ws';
import { eventually, parsePrometheusText } from '@coxswain/testing';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

let f: ApiFixture;
beforeAll(async () => {
  f = await startApiFixture();
}, 60_000);
afterAll(async () => f?.stop(), 30_000);

const scrape = async () => parsePrometheusText((await call(f.url, 'GET', '/metrics')).text);

it('serves the process families and counts requests by verb, resource and code, and open watches', async () => {
  const before = await scrape();
  expect(before.types.get('process_cpu_seconds_total')).toBe('counter');
  expect(before.types.get('apiserver_request_duration_seconds')).toBe('histogram');
  const list = (m: Map<string, number>) => m.get('apiserver_request_total{verb="LIST",resource="pods",code="200"}') ?? 0;
  const missing = (m: Map<string, number>) => m.get('apiserver_request_total{verb="GET",resource="pods",code="404"}') ?? 0;
  for (let i = 0; i < 3; i++) expect((await call(f.url, 'GET', '/api/v1/namespaces/default/pods')).status).toBe(200);
  expect((await call(f.url, 'GET', '/api/v1/namespaces/default/pods/nobody')).status).toBe(404);
  const ws = new WebSocket(`${f.url.replace('http', 'ws')}/api/v1/watch/pods`);
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  try {
    const after = await scrape();
    expect(list(after.samples) - list(before.samples)).toBe(3);
    expect(missing(after.samples) - missing(before.samples)).toBe(1);
    expect(after.samples.get('apiserver_request_duration_seconds_count{verb="LIST",resource="pods"}')).toBeGreaterThanOrEqual(3);
    expect(after.samples.get('apiserver_registered_watchers{resource="pods"}')).toBe(1);
  } finally {
    ws.close();
  }
  await eventually(async () => (await scrape()).samples.get('apiserver_registered_watchers{resource="pods"}') === undefined, 5000, 'the watch gone from the gauge');
});
