import { EventEmitter } from 'node:events';
import { createServer, get, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drained, streamList } from './http-response';

describe('drained', () => {
  it('holds one wait per response however many ask, and a fresh one after the drain', async () => {
    const res = new EventEmitter() as unknown as ServerResponse;
    const waits = Array.from({ length: 50 }, () => drained(res));
    expect(res.listenerCount('drain')).toBe(1);
    expect(res.listenerCount('close')).toBe(1);
    res.emit('drain');
    await Promise.all(waits);
    expect(res.listenerCount('drain')).toBe(0);
    expect(res.listenerCount('close')).toBe(0);
    const next = drained(res);
    expect(next).not.toBe(waits[0]);
    res.emit('close'); // a closed response ends the wait too
    await next;
    expect(res.listenerCount('drain')).toBe(0);
  });
});

describe('streamList', () => {
  it('sends every item intact, in order, through its reused chunk buffers to a client that reads slowly', async () => {
    // ~6 MB of distinct items: ~90 chunks through a few reused buffers while the client keeps pausing,
    // so that writes back up and the list waits for drains between them.
    const items = Array.from({ length: 6_000 }, (_, i) => ({ i, pad: String(i % 10).repeat(1_000) }));
    async function* pages() {
      for (let at = 0; at < items.length; at += 500) yield { items: items.slice(at, at + 500), resourceVersion: '7' };
    }
    const server = createServer((_req, res) => void streamList(res, (rv) => ({ kind: 'List', metadata: { resourceVersion: rv } }), pages(), (item) => Buffer.from(JSON.stringify(item))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const body = await new Promise<string>((resolve, reject) => {
        get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/' }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => {
            parts.push(part);
            res.pause();
            setTimeout(() => res.resume(), 1);
          });
          res.on('end', () => resolve(Buffer.concat(parts).toString()));
          res.on('error', reject);
        }).on('error', reject);
      });
      const list = JSON.parse(body) as { metadata: { resourceVersion: string }; items: typeof items };
      expect(list.metadata.resourceVersion).toBe('7');
      expect(list.items).toEqual(items);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
