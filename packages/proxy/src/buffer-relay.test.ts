import { createHash, randomBytes } from 'crypto';
import * as net from 'net';
import { BufferRelay } from './buffer-relay';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return (server.address() as net.AddressInfo).port;
}

/** Source server sends `data` in uneven writes; sink server reads slowly and hashes; the relay joins them. */
async function relayThrough(relay: BufferRelay, data: Buffer, readDelayMs: number): Promise<{ digest: string; bytes: number }> {
  const sourcePort = await listen(
    net.createServer((s) => {
      let off = 0;
      let i = 0;
      const pump = () => {
        while (off < data.length) {
          const n = [1, 700, 5000, 70_000, 300_000][i++ % 5];
          const chunk = data.subarray(off, off + n);
          off += chunk.length;
          if (!s.write(chunk)) return s.once('drain', pump);
        }
        s.end();
      };
      pump();
    }),
  );
  const received = new Promise<{ digest: string; bytes: number }>((resolve) => {
    const sinkServer = net.createServer((s) => {
      const h = createHash('sha256');
      let bytes = 0;
      s.on('data', (d) => {
        h.update(d);
        bytes += d.length;
        if (readDelayMs) {
          s.pause();
          setTimeout(() => s.resume(), readDelayMs);
        }
      });
      s.on('end', () => resolve({ digest: h.digest('hex'), bytes }));
    });
    cleanups.push(() => new Promise((r) => sinkServer.close(r)));
    void listen(sinkServer).then((sinkPort) => {
      const target = net.connect(sinkPort, '127.0.0.1', () => {
        const source = new net.Socket({ onread: relay.onread } as net.SocketConstructorOpts);
        source.pause();
        source.connect(sourcePort, '127.0.0.1', () => relay.start(source, target));
        source.once('end', () => target.end());
        cleanups.push(() => source.destroy());
      });
      cleanups.push(() => target.destroy());
    });
  });
  return received;
}

describe('BufferRelay', () => {
  it('relays every byte in order to a slow reader, reusing a small pool of buffers', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    // Tiny buffers and a pool of 2 make the relay stall and resume many times.
    const got = await relayThrough(new BufferRelay(16 * 1024, 1024, 2), data, 1);
    expect(got.bytes).toBe(data.length);
    expect(got.digest).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('relays intact at full speed with the default sizes', async () => {
    const data = randomBytes(32 * 1024 * 1024);
    const got = await relayThrough(new BufferRelay(), data, 0);
    expect(got.bytes).toBe(data.length);
    expect(got.digest).toBe(createHash('sha256').update(data).digest('hex'));
  });
});
