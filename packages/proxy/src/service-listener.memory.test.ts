// 100 MiB through the proxy to a slow reader, in each direction: the bytes arrive intact and the
// proxy's memory stays flat, because it stops reading from the fast side while the slow side lags.
// The endpoint and the client run in a child process, so this process's memory is the proxy's.
import { spawn } from 'child_process';
import { LoadBalancer } from './load-balancer';
import { ServiceListener } from './service-listener';
import { freePort } from '@coxswain/testing';

const MiB = 1024 * 1024;
const TOTAL = 100 * MiB;

// Plain JS for the child. `download`: the endpoint writes TOTAL bytes honouring back-pressure and the
// client reads through the proxy, sleeping 1 ms after every chunk. `upload`: the other way round.
const CHILD = `
const net = require('net'), crypto = require('crypto'), readline = require('readline');
const [mode, TOTAL] = [process.argv[1], Number(process.argv[2])];
const sent = crypto.createHash('sha256');
const got = crypto.createHash('sha256');
let bytes = 0, started = 0;
function writeAll(s) {
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
}
function readSlowly(s, done) {
  s.on('data', (d) => {
    bytes += d.length;
    got.update(d);
    s.pause();
    setTimeout(() => s.resume(), 1);
  });
  s.on('end', () => {
    console.log(JSON.stringify({ bytes, ms: Date.now() - started, same: got.digest('hex') === sent.digest('hex') }));
    done();
  });
}
const server = net.createServer((s) => {
  s.on('error', () => {});
  if (mode === 'download') writeAll(s);
  else readSlowly(s, () => { s.end(); process.exit(0); });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
readline.createInterface({ input: process.stdin }).once('line', (line) => {
  const { host, port } = JSON.parse(line);
  started = Date.now();
  const c = net.connect({ port, host, allowHalfOpen: true });
  c.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(1); });
  if (mode === 'download') readSlowly(c, () => process.exit(0));
  else writeAll(c);
});
`;

async function transfer(mode: 'download' | 'upload', host: string): Promise<{ result: Record<string, unknown>; rssMiB: number; buffersMiB: number; listener: ServiceListener }> {
  const child = spawn(process.execPath, ['-e', CHILD, mode, String(TOTAL)], { stdio: ['pipe', 'pipe', 'inherit'] });
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

  const balancer = new LoadBalancer();
  const listener = new ServiceListener({ name: `default/bulk:${mode}`, address: host, port: await freePort(host), balancer });
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
    const rssMiB = (peakRss - base.rss) / MiB;
    const buffersMiB = (peakBuffers - base.arrayBuffers) / MiB;
    console.log(`${mode} 100 MiB in ${result.ms} ms; proxy growth: rss ${rssMiB.toFixed(1)} MiB, buffers ${buffersMiB.toFixed(1)} MiB`);
    return { result, rssMiB, buffersMiB, listener };
  } finally {
    listener.close(true);
    child.kill();
  }
}

describe('ServiceListener memory', () => {
  it('moves 100 MiB from an endpoint to a slow client with flat memory', async () => {
    const { result, rssMiB, buffersMiB, listener } = await transfer('download', '127.0.1.22');
    expect(result).toEqual({ bytes: TOTAL, ms: expect.any(Number), same: true });
    // The reader was slower than the endpoint (else this would not test back-pressure).
    expect(result.ms as number).toBeGreaterThan(1000);
    expect(rssMiB).toBeLessThan(50);
    // The relay reuses at most two buffers of 1 MiB; a forwarder without back-pressure holds ~100.
    expect(buffersMiB).toBeLessThan(16);
    expect(listener.stats.snapshot().bytesOut).toBe(TOTAL);
  }, 60_000);

  it('moves 100 MiB from a client to a slow endpoint with flat memory', async () => {
    const { result, rssMiB, buffersMiB, listener } = await transfer('upload', '127.0.1.22');
    expect(result).toEqual({ bytes: TOTAL, ms: expect.any(Number), same: true });
    expect(result.ms as number).toBeGreaterThan(1000);
    expect(rssMiB).toBeLessThan(50);
    // pipe() allocates a Buffer per read; those awaiting GC show here (~30 MiB), held data does not.
    expect(buffersMiB).toBeLessThan(50);
    expect(listener.stats.snapshot().bytesIn).toBe(TOTAL);
  }, 60_000);
});
