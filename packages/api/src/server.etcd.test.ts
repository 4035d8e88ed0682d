// The API server on a real etcd, over real HTTP and WebSockets on 127.0.0.1.
import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { objectKey, resourceForKind } from '@coxswain/objects';
import type { Minion } from '@coxswain/objects';
import { eventually } from '@coxswain/testing';
import { CODECS } from './codecs';
import { createApiServer } from './server';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call, collectWs, readLines } from './testing/wire';

const SEED_DIR = join(__dirname, '../../../examples/seed-guestbook');
const seeds: Record<string, any>[] = readdirSync(SEED_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(SEED_DIR, f), 'utf8')));

const redisMaster = () => JSON.parse(readFileSync(join(SEED_DIR, 'redis-master.json'), 'utf8'));
/** A seed-style pod with its own name, labels and host port. */
function podManifest(id: string, labels: Record<string, string>, hostPort?: number): any {
  const p = redisMaster();
  p.id = id;
  p.desiredState.manifest.id = id;
  p.labels = labels;
  if (hostPort) p.desiredState.manifest.containers[0].ports[0].hostPort = hostPort;
  else delete p.desiredState.manifest.containers[0].ports[0].hostPort;
  return p;
}

let f: ApiFixture;
let api: (method: string, path: string, body?: unknown) => ReturnType<typeof call>;
const ws = (path: string) => f.url.replace(/^http/, 'ws') + path;

beforeAll(async () => {
  f = await startApiFixture();
  api = (method, path, body) => call(f.url, method, path, body);
}, 30_000);
afterAll(() => f?.stop(), 30_000);

async function etcdObject(resource: string, namespace: string | undefined, name: string): Promise<any> {
  const value = await f.etcdClient.get(objectKey(resource as never, namespace, name)).string();
  return value === null ? null : JSON.parse(value);
}

describe('the seed guestbook', () => {
  it.each(seeds.map((s) => [s.id, s]))('%s is accepted, stored in internal form and read back in v1beta1 with the same meaning', async (_id, manifest) => {
    const resource = resourceForKind(manifest.kind)!.resource;
    const created = await api('POST', `/api/v1beta1/${resource}`, manifest);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: manifest.id, kind: manifest.kind, apiVersion: 'v1beta1' });

    const stored = await etcdObject(resource, 'default', manifest.id);
    expect(stored).toMatchObject({ apiVersion: 'v1', kind: manifest.kind, metadata: { name: manifest.id, namespace: 'default' } });
    expect(stored.id).toBeUndefined();
    expect(stored.desiredState).toBeUndefined();
    if (manifest.kind === 'Pod') {
      expect(stored.spec.containers[0]).toMatchObject({ name: 'master', image: 'dockerfile/redis', ports: [{ containerPort: 6379, hostPort: 6379 }] });
      expect(stored.status).toEqual({ phase: 'Pending' });
    } else if (manifest.kind === 'ReplicationController') {
      expect(stored.spec.replicas).toBe(manifest.desiredState.replicas);
      expect(stored.spec.selector).toEqual(manifest.desiredState.replicaSelector);
      expect(stored.spec.template.metadata.labels).toEqual(manifest.desiredState.podTemplate.labels);
      expect(stored.spec.template.spec.containers[0].image).toBe(manifest.desiredState.podTemplate.desiredState.manifest.containers[0].image);
    } else {
      expect(stored.spec.ports[0]).toMatchObject({ port: manifest.port, targetPort: manifest.containerPort });
      expect(stored.spec.selector).toEqual(manifest.selector);
    }

    const back = await api('GET', `/api/v1beta1/${resource}/${manifest.id}`);
    expect(back.status).toBe(200);
    expect(back.json).toMatchObject(manifest);
    expect(back.json.resourceVersion === undefined ? back.json.metadata?.resourceVersion : String(back.json.resourceVersion)).toBe(created.json.resourceVersion === undefined ? undefined : String(created.json.resourceVersion));
  });

  it('lists select by ?labels=name=redisslave (the 2014 parameter) and by labelSelector', async () => {
    expect((await api('POST', '/api/v1beta1/pods', podManifest('slave-a', { name: 'redisslave' }, 7001))).status).toBe(201);
    expect((await api('POST', '/api/v1beta1/pods', podManifest('slave-b', { name: 'redisslave', tier: 'x' }, 7002))).status).toBe(201);
    expect((await api('POST', '/api/v1beta1/pods', podManifest('front-a', { name: 'frontend' }, 7003))).status).toBe(201);

    const ids = async (path: string) => {
      const r = await api('GET', path);
      expect(r.status).toBe(200);
      return r.json.items.map((i: any) => i.id).sort();
    };
    const list = await api('GET', '/api/v1beta1/pods?labels=name%3Dredisslave');
    expect(list.json).toMatchObject({ kind: 'PodList', apiVersion: 'v1beta1' });
    expect(String(list.json.resourceVersion)).toMatch(/^\d+$/);
    expect(await ids('/api/v1beta1/pods?labels=name=redisslave')).toEqual(['slave-a', 'slave-b']);
    expect(await ids('/api/v1beta1/pods?labelSelector=name%3Dredisslave,tier')).toEqual(['slave-b']);
    expect(await ids('/api/v1beta1/pods?labels=name%20in%20(redisslave,frontend)')).toEqual(['front-a', 'slave-a', 'slave-b']);
    expect(await ids('/api/v1beta1/pods?labels=name!%3Dredisslave')).toEqual(['front-a', 'redis-master-2']);
    expect(await ids('/api/v1beta1/services?labels=name=redisslave')).toEqual(['redisslave']);
    expect(await ids('/api/v1beta1/replicationControllers?labels=name=redisslave')).toEqual(['redisSlaveController']);
    expect(await ids('/api/v1beta1/pods?namespace=elsewhere')).toEqual([]);
    expect(await ids('/api/v1beta1/pods?fields=metadata.name%3Dslave-a')).toEqual(['slave-a']);
  });

  it('the same objects are served in v1', async () => {
    const r = await api('GET', '/api/v1/pods/redis-master-2');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'redis-master-2' } });
    const list = await api('GET', '/api/v1/services');
    expect(list.json.items.map((s: any) => s.metadata.name).sort()).toEqual(['redismaster', 'redisslave']);
  });
});

describe('writes', () => {
  it('a client cannot set status on create; a nodeName creates the pod bound (its kubelet sees it)', async () => {
    const p = podManifest('sneaky', { app: 'sneaky' });
    p.desiredState.host = 'minion-9';
    p.currentState = { status: 'Running', host: 'minion-9', podIP: '10.0.0.9' };
    expect((await api('POST', '/api/v1beta1/pods', p)).status).toBe(201);
    const stored = await etcdObject('pods', 'default', 'sneaky');
    expect(stored.spec.nodeName).toBe('minion-9');
    expect(stored.status).toEqual({ phase: 'Pending' });
    const bound = await f.etcdClient.get('/registry/boundpods/minion-9/default/sneaky').string();
    expect(JSON.parse(bound!)).toMatchObject({ metadata: { name: 'sneaky' }, spec: { nodeName: 'minion-9' } });
  });

  it('PUT with a stale resourceVersion is 409 and writes nothing; without one it is unconditional', async () => {
    const first = (await api('GET', '/api/v1beta1/pods/slave-a')).json;
    const v1 = { ...first, labels: { name: 'redisslave', step: 'one' } };
    const updated = await api('PUT', '/api/v1beta1/pods/slave-a', v1);
    expect(updated.status).toBe(200);
    expect(BigInt(updated.json.resourceVersion)).toBeGreaterThan(BigInt(first.resourceVersion));
    const before = await f.dump();

    const stale = await api('PUT', '/api/v1beta1/pods/slave-a', { ...first, labels: { name: 'redisslave', step: 'stale' } });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ kind: 'Status', status: 'Failure', code: 409, reason: 'Conflict', details: { name: 'slave-a', kind: 'Pod' } });
    expect(await f.dump()).toEqual(before);

    const { resourceVersion: _rv, ...noVersion } = first;
    const unconditional = await api('PUT', '/api/v1beta1/pods/slave-a', { ...noVersion, labels: { name: 'redisslave', step: 'two' } });
    expect(unconditional.status).toBe(200);
    expect((await etcdObject('pods', 'default', 'slave-a')).metadata.labels).toEqual({ name: 'redisslave', step: 'two' });
  });

  it('delete answers a Success Status; the object is gone', async () => {
    expect((await api('POST', '/api/v1beta1/pods', podManifest('doomed', {}))).status).toBe(201);
    const del = await api('DELETE', '/api/v1beta1/pods/doomed');
    expect(del.status).toBe(200);
    expect(del.json).toMatchObject({ kind: 'Status', status: 'Success' });
    expect((await api('GET', '/api/v1beta1/pods/doomed')).status).toBe(404);
    expect(await etcdObject('pods', 'default', 'doomed')).toBeNull();
  });
});

describe('watch', () => {
  let from: string;
  beforeAll(async () => {
    from = await f.store.currentRevision();
    const p = podManifest('watched', { app: 'watched' });
    expect((await api('POST', '/api/v1beta1/pods', p)).status).toBe(201);
    const cur = (await api('GET', '/api/v1beta1/pods/watched')).json;
    expect((await api('PUT', '/api/v1beta1/pods/watched', { ...cur, labels: { app: 'watched', v: '2' } })).status).toBe(200);
    expect((await api('DELETE', '/api/v1beta1/pods/watched')).status).toBe(200);
  });

  it('a WebSocket watch from an old resourceVersion replays exactly the changes since, in order', async () => {
    const c = collectWs(ws(`/api/v1beta1/watch/pods?resourceVersion=${from}&labels=app%20in%20(watched,watched-marker)`));
    await c.next(3);
    // "Exactly": a marker written after the replay arrives after anything the replay could still
    // add (one watch delivers in revision order), so the wait ends on its arrival, not on a timer.
    expect((await api('POST', '/api/v1beta1/pods', podManifest('watched-marker', { app: 'watched-marker' }))).status).toBe(201);
    await c.next(4);
    c.close();
    expect((await api('DELETE', '/api/v1beta1/pods/watched-marker')).status).toBe(200);
    expect(c.messages.map((m) => [m.type, m.object.id])).toEqual([
      ['ADDED', 'watched'],
      ['MODIFIED', 'watched'],
      ['DELETED', 'watched'],
      ['ADDED', 'watched-marker'],
    ]);
    const rvs = c.messages.map((m) => BigInt(m.object.resourceVersion));
    expect([...rvs].sort((a, b) => (a < b ? -1 : 1))).toEqual(rvs);
    expect(c.messages[1].object.labels).toEqual({ app: 'watched', v: '2' });
  });

  it('a watch without resourceVersion starts with the current objects, then changes', async () => {
    const c = collectWs(ws('/api/v1beta1/watch/services'));
    await c.next(2);
    expect(c.messages.map((m) => [m.type, m.object.id]).sort()).toEqual([
      ['ADDED', 'redismaster'],
      ['ADDED', 'redisslave'],
    ]);
    const svc = { id: 'late', kind: 'Service', apiVersion: 'v1beta1', port: 10500, containerPort: 80, selector: { name: 'late' } };
    expect((await api('POST', '/api/v1beta1/services', svc)).status).toBe(201);
    await c.next(3);
    expect(c.messages[2]).toMatchObject({ type: 'ADDED', object: { id: 'late', port: 10500 } });
    c.close();
  });

  it('a WebSocket upgrade of the list URL with ?watch=true is the same watch', async () => {
    const c = collectWs(ws(`/api/v1beta1/pods?watch=true&resourceVersion=${from}&labels=app%3Dwatched`));
    await c.next(3);
    c.close();
    expect(c.messages.map((m) => m.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('works as a chunked HTTP stream with ?watch=true, with BOOKMARK heartbeats (kind and apiVersion) when allowed', async () => {
    const url = `${f.url}/api/v1beta1/pods?watch=true&resourceVersion=${from}&labels=app%3Dwatched`;
    const lines = await readLines(`${url}&allowWatchBookmarks=true`, (ls) => ls.some((l) => l.type === 'BOOKMARK'), 5000);
    const events = lines.filter((l) => l.type !== 'BOOKMARK');
    expect(events.map((l) => l.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    const bookmark = lines.find((l) => l.type === 'BOOKMARK');
    expect(bookmark.object).toMatchObject({ kind: 'Pod', apiVersion: 'v1beta1' });
    expect(BigInt(bookmark.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(BigInt(events[2].object.resourceVersion));
    // Unasked, none: client-go fails on a bookmark it did not ask for. 2.5 heartbeat intervals (1 s here).
    const plain = await readLines(url, () => false, 2500);
    expect(plain.map((l) => l.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('ends an HTTP watch after ?timeoutSeconds, cleanly; a malformed one is a 400', async () => {
    // text() resolves only once the server ends the stream (the signal is a safety net, not the test).
    const res = await fetch(`${f.url}/api/v1/namespaces/default/pods?watch=true&labelSelector=matches%3Dnothing&timeoutSeconds=1`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const bad = await call(f.url, 'GET', '/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=soon');
    expect(bad.status).toBe(400);
    expect(bad.json.details.causes[0].field).toBe('timeoutSeconds');
  });

  it('a compacted resourceVersion is answered with an ERROR 410 Expired message (WebSocket and HTTP)', async () => {
    await f.etcd.compact();
    const c = collectWs(ws(`/api/v1beta1/watch/pods?resourceVersion=${from}`));
    await c.next(1);
    expect(c.messages[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    await c.untilClosed();
    const lines = await readLines(`${f.url}/api/v1beta1/watch/pods?resourceVersion=${from}`, (ls) => ls.length > 0);
    expect(lines[0]).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });

  it('rejects a bad watch query before upgrading', async () => {
    const c = collectWs(ws('/api/v1beta1/watch/pods?labels=a%20in%20('));
    await c.untilClosed();
    expect(c.unexpected?.status).toBe(400);
    expect(JSON.parse(c.unexpected!.body)).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
    const d = collectWs(ws('/api/v1beta1/watch/gizmos'));
    await d.untilClosed();
    expect(d.unexpected?.status).toBe(404);
  });
});

describe('binding and pod logs', () => {
  let kubelet: http.Server;
  const seen: string[] = [];
  const seenAuth: Array<string | undefined> = [];
  beforeAll(async () => {
    kubelet = http.createServer((req, res) => {
      seen.push(req.url!);
      seenAuth.push(req.headers.authorization);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('line one\nline two\n');
    });
    await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(kubelet.address() as AddressInfo).port}`;
    const minion: Minion = { apiVersion: 'v1', kind: 'Minion', metadata: { name: 'minion-1' }, status: { kubeletEndpoint: endpoint } };
    await f.store.create(minion);
  });
  afterAll(() => new Promise<void>((r) => kubelet.close(() => r())));

  it('binds a pod through /bindings and streams its log from the minion kubelet', async () => {
    expect((await api('POST', '/api/v1beta1/pods', podManifest('logger', { app: 'logger' }))).status).toBe(201);
    const notBound = await api('GET', '/api/v1beta1/pods/logger/log');
    expect(notBound.status).toBe(400);

    const bind = await api('POST', '/api/v1beta1/bindings', { kind: 'Binding', podID: 'logger', host: 'minion-1' });
    expect(bind.status).toBe(201);
    expect((await etcdObject('pods', 'default', 'logger')).spec.nodeName).toBe('minion-1');
    expect((await api('POST', '/api/v1beta1/bindings', { podID: 'logger', host: 'minion-1' })).status).toBe(409);

    const log = await api('GET', '/api/v1beta1/pods/logger/log?tail=2');
    expect(log.status).toBe(200);
    expect(log.text).toBe('line one\nline two\n');
    expect(seen.at(-1)).toBe('/containerLogs/default/logger/master?tailLines=2');
    const opts = await api('GET', '/api/v1beta1/pods/logger/log?follow=true&timestamps=true&previous=true&sinceSeconds=60&limitBytes=5');
    expect(opts.status).toBe(200);
    expect(seen.at(-1)).toMatch(/^\/containerLogs\/default\/logger\/master\?follow=true&previous=true&timestamps=true&sinceTime=\d{4}-[^&]+Z&limitBytes=5$/);
    const bad = await api('GET', '/api/v1beta1/pods/logger/log?sinceSeconds=soon');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ message: 'invalid sinceSeconds "soon": must be a positive integer', details: { causes: [{ field: 'sinceSeconds' }] } });
    expect((await api('GET', '/api/v1beta1/pods/logger/log?container=nope')).status).toBe(400);
  });

  it('sends the kubelet credential it was given, and none when it has none', async () => {
    expect(seenAuth.at(-1)).toBeUndefined();
    const withCredential = createApiServer({ store: f.store, codecs: CODECS, port: 0, kubeletCredential: 'kubelet-secret-0123456789' });
    const url = await withCredential.listen();
    try {
      const log = await call(url, 'GET', '/api/v1beta1/pods/logger/log');
      expect(log.status).toBe(200);
      expect(seenAuth.at(-1)).toBe('Bearer kubelet-secret-0123456789');
    } finally {
      await withCredential.close();
    }
  });
});

describe('health and shutdown', () => {
  it('/healthz checks etcd', async () => {
    const r = await api('GET', '/healthz');
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/^ok/);
  });

  it('close() ends open watches and stops accepting', async () => {
    const second = createApiServer({ store: f.store, codecs: CODECS, port: 0, drainTimeoutMs: 2000 });
    const url = await second.listen();
    const c = collectWs(url.replace(/^http/, 'ws') + '/api/v1beta1/watch/pods');
    await c.next(1);
    let httpLines = 0;
    const httpWatch = readLines(`${url}/api/v1beta1/pods?watch=true`, (lines) => ((httpLines = lines.length), false), 10_000);
    await eventually(() => httpLines > 0, 5000, 'the HTTP watch to stream the current pods');
    const t0 = Date.now();
    await second.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    await c.untilClosed();
    expect(c.closed).toBeDefined();
    const lines = await httpWatch;
    expect(lines.length).toBeGreaterThan(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

describe('authentication', () => {
  it('refuses to serve a non-loopback address without a token file', () => {
    expect(() => createApiServer({ store: f.store, codecs: CODECS, address: '0.0.0.0', port: 0 })).toThrow(/refusing .*0\.0\.0\.0.*--token-file/);
  });

  it('checks bearer tokens on every request and WebSocket upgrade, except /healthz', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokens-'));
    writeFileSync(join(dir, 'tokens.csv'), 'good-token,alice\n');
    const secured = createApiServer({ store: f.store, codecs: CODECS, port: 0, tokenFile: join(dir, 'tokens.csv') });
    const url = await secured.listen();
    try {
      const none = await call(url, 'GET', '/api/v1beta1/pods');
      expect(none.status).toBe(401);
      expect(none.json).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
      expect((await call(url, 'GET', '/api/v1beta1/pods', undefined, { Authorization: 'Bearer bad-token' })).status).toBe(401);
      expect((await call(url, 'POST', '/api/v1beta1/pods', podManifest('intruder', {}))).status).toBe(401);
      expect(await etcdObject('pods', 'default', 'intruder')).toBeNull();
      expect((await call(url, 'GET', '/api/v1beta1/pods', undefined, { Authorization: 'Bearer good-token' })).status).toBe(200);
      expect((await call(url, 'GET', '/healthz')).status).toBe(200);
      const c = collectWs(url.replace(/^http/, 'ws') + '/api/v1beta1/watch/pods');
      await c.untilClosed();
      expect(c.unexpected?.status).toBe(401);
      const ok = collectWs(url.replace(/^http/, 'ws') + '/api/v1beta1/watch/pods', { Authorization: 'Bearer good-token' });
      await ok.next(1);
      ok.close();
    } finally {
      await secured.close();
    }
  });
});
