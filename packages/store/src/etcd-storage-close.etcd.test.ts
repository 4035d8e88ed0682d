import { spawn } from 'child_process';
import { createEtcdStorage } from './etcd-storage';
import { EtcdHarness, eventually, scrapeMetrics, sourceScript, startEtcd } from '@coxswain/testing';

jest.setTimeout(30_000);

/** etcd's own count of open watch streams (a gauge on /metrics). */
async function watchStreams(endpoint: string): Promise<number> {
  const n = (await scrapeMetrics(`${endpoint}/metrics`)).samples.get('etcd_debugging_mvcc_watch_stream_total');
  if (n === undefined) throw new Error('no etcd_debugging_mvcc_watch_stream_total in /metrics');
  return n;
}

/**
 * Runs `body` in a fresh node process with a storage on `endpoint` and resolves with how long the
 * process took to exit after printing CLOSED (the point where nothing should keep it alive).
 */
function exitDelayAfterClose(endpoint: string, body: string): Promise<{ ms: number; stdout: string }> {
  const script = sourceScript(`
    const { createEtcdStorage } = require('@coxswain/store');
    const storage = createEtcdStorage([${JSON.stringify(endpoint)}]);
    (async () => { ${body} })().then(() => console.log('CLOSED'), (err) => { console.error(err); process.exit(1); });
  `);
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let closedAt: number | undefined;
  child.stdout!.on('data', (c) => {
    stdout += c;
    if (closedAt === undefined && stdout.includes('CLOSED')) closedAt = Date.now();
  });
  child.stderr!.on('data', (c) => (stderr += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      if (code !== 0 || closedAt === undefined) reject(new Error(`child ended with ${code ?? signal} (still running 15 s after start?): ${stdout} ${stderr}`));
      else resolve({ ms: Date.now() - closedAt, stdout });
    });
  });
}

// EtcdStorage owns every stream it opens (watches, lease keepalives), so closing it must leave
// nothing behind: no watch stream held in etcd, nothing that keeps a process alive.
describe('EtcdStorage close() (real etcd)', () => {
  let etcd: EtcdHarness;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd.stop();
  });

  it('ends its watch streams, so etcd no longer serves them', async () => {
    const storage = createEtcdStorage(etcd.endpoints);
    const before = await watchStreams(etcd.endpoints[0]);
    const w = storage.watch('/test/open/');
    await eventually(async () => (await watchStreams(etcd.endpoints[0])) > before, 5000, 'the watch stream open in etcd');
    await storage.close();
    await expect((async () => { for await (const _ of w) { /* drain */ } })()).resolves.toBeUndefined();
    await eventually(async () => (await watchStreams(etcd.endpoints[0])) <= before, 5000, 'the watch stream gone from etcd');
  });

  it('a lease it granted outlives close() only by its TTL: nothing keeps it alive', async () => {
    const storage = createEtcdStorage(etcd.endpoints);
    const id = await storage.leases.grant(2);
    await storage.leases.keepAlive(id);
    await storage.close();
    const observer = createEtcdStorage(etcd.endpoints);
    try {
      expect(await observer.leases.timeToLive(id)).toMatchObject({ grantedSeconds: 2 });
      await eventually(async () => (await observer.leases.timeToLive(id)) === undefined, 6000, 'the lease to expire');
      await expect(observer.leases.keepAlive(id)).rejects.toThrow(/not found/);
    } finally {
      await observer.close();
    }
  });

  it('a process that closes its storage with a watch open and a lease kept alive exits on its own while etcd keeps running', async () => {
    const { ms } = await exitDelayAfterClose(etcd.endpoints[0], `
      const w = storage.watch('/test/');
      const id = await storage.leases.grant(5);
      await storage.leases.keepAlive(id);
      await storage.close();
    `);
    expect(ms).toBeLessThan(3000);
  });

  it('a process that closes its storage while a watch is being opened exits on its own', async () => {
    const { ms } = await exitDelayAfterClose(etcd.endpoints[0], `
      storage.watch('/test/k');
      await storage.close();
    `);
    expect(ms).toBeLessThan(3000);
  });
});
