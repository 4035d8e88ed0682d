// A 100 MiB transfer through the proxy to a slow reader: the bytes arrive intact and the proxy's
// memory stays flat, because pipe() stops reading from the endpoint while the client is behind.
// The endpoint and the slow client run in a child process, so this process's memory is the proxy's.
import { spawn } from 'child_process';
import { LoadBalancer } from './load-balancer';
import { ServiceListener } from './service-listener';
import { freePort } from './testing/fixtures';

const MiB = 1024 * 1024;
const TOTAL = 100 * MiB;

// Plain JS for the child: an endpoint that writes TOTAL bytes honouring back-pressure, and a client
// that reads through the proxy, sleeping 1 ms after every chunk.
const CHILD = `
const net = require('net'), crypto = require('crypto'), readline = require('readline');
const TOTAL = ${TOTAL};
const sent = crypto.createHash('sha256');
const server = net.createServer((s) => {
  let written = 0, n = 0;
  const pump = () => {
    while (written < TOTAL) {
      const chunk = Buffer.alloc(64 * 1024, n++ % 251);
      written += chunk.length;
      sent.update(chunk);
      if (!s.write(chunk)) return s.once('drain', pump);
    }
    s.end();
  };
  pump();
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
readline.createInterface({ input: process.stdin }).once('line', (line) => {
  const { host, port } = JSON.parse(line);
  const got = crypto.createHash('sha256');
  let bytes = 0;
  const started = Date.now();
  const c = net.connect(port, host);
  c.on('data', (d) => {
    bytes += d.length;
    got.update(d);
    c.pause();
    setTimeout(() => c.resume(), 1);
  });
  c.on('end', () => {
    console.log(JSON.stringify({ bytes, ms: Date.now() - started, same: got.digest('hex') === sent.digest('hex') }));
    server.close();
    process.exit(0);
  });
  c.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(1); });
});
`;

describe('ServiceListener memory', () => {
  it('moves 100 MiB to a slow reader with flat memory', async () => {
    const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buf = '';
    const waiters: Array<() => void> = [];
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        waiters.splice(0).forEach((w) => w());
      }
    });
    const nextLine = async (): Promise<Record<string, unknown>> => {
      while (!lines.length) await new Promise<void>((r) => waiters.push(r));
      return JSON.parse(lines.shift()!);
    };

    const host = '127.0.1.22';
    const balancer = new LoadBalancer();
    const listener = new ServiceListener({ name: 'default/bulk:data', address: host, port: await freePort(host), balancer });
    try {
      const { port: backendPort } = (await nextLine()) as { port: number };
      balancer.setEndpoints([{ ip: '127.0.0.1', port: backendPort }]);
      listener.start();
      await listener.ready;

      const base = process.memoryUsage();
      let peakRss = base.rss;
      let peakBuffers = base.arrayBuffers;
      const sampler = setInterval(() => {
        const m = process.memoryUsage();
        peakRss = Math.max(peakRss, m.rss);
        peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
      }, 20);
      child.stdin.write(JSON.stringify({ host, port: listener.port }) + '\n');
      const result = await nextLine();
      clearInterval(sampler);

      expect(result).toEqual({ bytes: TOTAL, ms: expect.any(Number), same: true });
      // The reader was slower than the endpoint (else this would not test back-pressure).
      expect(result.ms as number).toBeGreaterThan(1000);
      const rssGrowth = (peakRss - base.rss) / MiB;
      const bufferGrowth = (peakBuffers - base.arrayBuffers) / MiB;
      // eslint-disable-next-line no-console
      console.log(`100 MiB in ${result.ms} ms; proxy growth: rss ${rssGrowth.toFixed(1)} MiB, buffers ${bufferGrowth.toFixed(1)} MiB`);
      expect(rssGrowth).toBeLessThan(50);
      // Read buffers awaiting GC show here too (~32 MiB); a forwarder without back-pressure holds ~100.
      expect(bufferGrowth).toBeLessThan(50);
      const s = listener.stats.snapshot();
      expect(s.bytesOut).toBe(TOTAL);
    } finally {
      listener.close(true);
      child.kill();
    }
  }, 60_000);
});
