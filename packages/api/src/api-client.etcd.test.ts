// The typed client against a real server on a real etcd: errors carry the Status, an unreachable
// server is named, and a watch resumes across a server restart and relists after a 410.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pod } from '@coxswain/objects';
import { ApiClient, ApiError, ApiUnreachableError } from '@coxswain/client';
import { eventually } from '@coxswain/testing';
import { CODECS } from './codecs';
import { createApiServer } from './server';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import type { ClientWatchEvent } from '@coxswain/client';

const SEED_DIR = join(__dirname, '../../../examples/seed-guestbook');
const manifest = (id: string, labels: Record<string, string> = { app: 'client-test' }) => {
  const p = JSON.parse(readFileSync(join(SEED_DIR, 'redis-master.json'), 'utf8'));
  p.id = id;
  p.labels = labels;
  delete p.desiredState.manifest.containers[0].ports[0].hostPort;
  return p;
};
const internalPod = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'client-test' } },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

let f: ApiFixture;
beforeAll(async () => {
  f = await startApiFixture();
}, 30_000);
afterAll(() => f?.stop(), 30_000);

describe('ApiClient', () => {
  it('creates, gets, lists, updates and deletes in v1beta1', async () => {
    const c = f.client;
    const created = await c.create<any>('pods', manifest('c1'));
    expect(created).toMatchObject({ id: 'c1', kind: 'Pod', currentState: expect.anything() });
    const got = await c.get<any>('pods', 'c1');
    expect(got.resourceVersion).toBe(created.resourceVersion);
    const list = await c.list('pods', { labelSelector: 'app=client-test' });
    expect(list.items.map((i: any) => i.id)).toContain('c1');
    expect(list.resourceVersion).toMatch(/^\d+$/);
    const updated = await c.update<any>('pods', { ...got, labels: { app: 'client-test', x: 'y' } });
    expect(updated.labels).toEqual({ app: 'client-test', x: 'y' });
    await c.delete('pods', 'c1');
    await expect(c.get('pods', 'c1')).rejects.toMatchObject({ code: 404, reason: 'NotFound' });
  });

  it('throws ApiError carrying the Status: code, reason, message and causes', async () => {
    const bad = manifest('c2');
    delete bad.desiredState.manifest.containers[0].image;
    const err = await f.client.create('pods', bad).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(err.causes).toContainEqual(expect.objectContaining({ field: 'desiredState.manifest.containers[0].image' }));
    expect(err.status.kind).toBe('Status');

    const stale = await f.client.create<any>('pods', manifest('c3'));
    await f.client.update('pods', { ...stale, labels: { app: 'client-test', n: '1' } });
    await expect(f.client.update('pods', { ...stale, labels: { app: 'client-test', n: '2' } })).rejects.toMatchObject({ code: 409, reason: 'Conflict' });
  });

  it('names the address it tried when no server answers', async () => {
    const { createServer } = await import('node:net');
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r)); // nothing listens there now
    const c = new ApiClient({ server: `http://127.0.0.1:${port}` });
    const err = await c.list('pods').catch((e) => e);
    expect(err).toBeInstanceOf(ApiUnreachableError);
    expect(err.message).toBe(`cannot reach the API server at http://127.0.0.1:${port}: ECONNREFUSED`);
  });

  it('sends the bearer token', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'tok-'));
    writeFileSync(join(dir, 't'), 'tok-1\n');
    const s = createApiServer({ store: f.store, codecs: CODECS, port: 0, tokenFile: join(dir, 't') });
    const url = await s.listen();
    try {
      await expect(new ApiClient({ server: url }).list('pods')).rejects.toMatchObject({ code: 401 });
      await expect(new ApiClient({ server: url, token: 'tok-1' }).list('pods')).resolves.toHaveProperty('items');
    } finally {
      await s.close();
    }
  });
});

describe('WatchClient', () => {
  it('resumes from the last resourceVersion after the server goes away, missing nothing and repeating nothing', async () => {
    let server = createApiServer({ store: f.store, codecs: CODECS, port: 0, heartbeatMs: 500 });
    const url = await server.listen();
    const port = Number(new URL(url).port);
    const events: ClientWatchEvent[] = [];
    let connects = 0;
    const start = await f.store.currentRevision();
    const w = new ApiClient({ server: url }).watch('pods', {
      resourceVersion: start,
      labelSelector: 'app=client-test',
      onEvent: (e) => void events.push(e),
      onConnected: () => connects++,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    try {
      await f.store.create(internalPod('w1'));
      await eventually(() => events.length === 1, 5000, 'first event');
      await server.close(); // the watch drops
      await f.store.create(internalPod('w2')); // happens while nobody watches
      await f.store.create(internalPod('w3'));
      server = createApiServer({ store: f.store, codecs: CODECS, port, heartbeatMs: 500 });
      await server.listen();
      await eventually(() => events.length >= 3, 10_000, 'events after reconnect');
      // "Repeating nothing": a repeat of w1..w3 would come before w4 (a watch delivers in revision
      // order), so waiting for w4 bounds the check by an event, not a timer.
      await f.store.create(internalPod('w4'));
      await eventually(() => events.length >= 4, 5000, 'the event of w4');
      expect(events.map((e) => [e.type, (e.object as any).id])).toEqual([
        ['ADDED', 'w1'],
        ['ADDED', 'w2'],
        ['ADDED', 'w3'],
        ['ADDED', 'w4'],
      ]);
      expect(connects).toBeGreaterThanOrEqual(2);
      expect(w.resourceVersion).toBe(String((events[3].object as any).resourceVersion));
    } finally {
      await w.close();
      await server.close();
    }
  }, 30_000);

  it('calls onExpired after a 410 and carries on from the current state', async () => {
    const old = await f.store.currentRevision();
    await f.store.create(internalPod('e1'));
    await f.store.create(internalPod('e2'));
    await f.etcd.compact(); // the revision after `old` is gone
    const events: ClientWatchEvent[] = [];
    let expired = 0;
    const w = f.client.watch('pods', {
      resourceVersion: old,
      labelSelector: 'app=client-test',
      onEvent: (e) => void events.push(e),
      onExpired: () => {
        expired++;
        return undefined; // no relist of our own: the server sends the current objects as ADDED
      },
      backoff: { initialMs: 20, maxMs: 100 },
    });
    try {
      await eventually(() => events.some((e) => (e.object as any).id === 'e1'), 5000, 'relisted e1');
      expect(expired).toBe(1);
      expect(events.every((e) => e.type === 'ADDED')).toBe(true);
      await f.store.delete('pods', 'default', 'e1');
      await eventually(() => events.some((e) => e.type === 'DELETED' && (e.object as any).id === 'e1'), 5000, 'delete after relist');
    } finally {
      await w.close();
    }
  });

  it('stops with a rejected done on a permanent error (unknown resource)', async () => {
    const w = f.client.watch('gizmos', { onEvent: () => undefined });
    await expect(w.done).rejects.toMatchObject({ code: 404 });
  });
});
