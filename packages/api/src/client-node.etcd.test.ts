// @kubernetes/client-node (the official JavaScript client) against the API server on a real etcd:
// a list, then its informer, which keeps its cache through a restart of the API server.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { Pod } from '@coxswain/objects';
import { eventually } from '@coxswain/testing';
import { CODECS } from './codecs';
import { createApiServer, type ApiServer } from './server';
import { ApiFixture, startApiFixture } from './testing/api-fixture';

let f: ApiFixture;
let restarted: ApiServer | undefined;
let client: ChildProcess | undefined;
const events: Array<{ type: string; name?: string; names?: string[]; kind?: string; message?: string }> = [];

beforeAll(async () => {
  f = await startApiFixture();
}, 60_000);
afterAll(async () => {
  client?.kill();
  await restarted?.close();
  await f?.stop();
}, 30_000);

const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
const seen = (type: string, name: string) => events.some((e) => e.type === type && e.name === name);

it('lists, and its informer follows adds and deletes across an API server restart', async () => {
  await f.store.create(pod('before'));
  client = spawn(process.execPath, [path.join(__dirname, 'testing', 'client-node-informer.mjs'), f.url]);
  let buffered = '';
  client.stdout!.on('data', (d) => {
    buffered += d;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const l of lines) if (l.trim()) events.push(JSON.parse(l));
  });
  let stderr = '';
  client.stderr!.on('data', (d) => (stderr += d));

  await eventually(() => events.some((e) => e.type === 'STARTED'), 20_000, `the informer started (stderr: ${stderr})`);
  expect(events[0]).toEqual({ type: 'LIST', kind: 'PodList', names: ['before'] });
  expect(seen('ADD', 'before')).toBe(true);
  await f.store.create(pod('while-up'));
  await eventually(() => seen('ADD', 'while-up'), 10_000, 'ADD while-up');

  // The server goes away; a pod is made behind its back; a new server comes up on the same port.
  const port = Number(new URL(f.url).port);
  await f.server.close();
  await f.store.create(pod('while-down'));
  await f.store.delete('pods', 'default', 'before');
  restarted = createApiServer({ store: f.store, codecs: CODECS, address: '127.0.0.1', port, heartbeatMs: 1000, drainTimeoutMs: 2000 });
  await restarted.listen();

  await eventually(() => seen('ADD', 'while-down') && seen('DELETE', 'before'), 30_000, 'the informer caught up after the restart');
  expect(events.some((e) => e.type === 'ERROR')).toBe(true);
  await f.store.delete('pods', 'default', 'while-up');
  await eventually(() => seen('DELETE', 'while-up'), 10_000, 'DELETE while-up');
}, 90_000);
