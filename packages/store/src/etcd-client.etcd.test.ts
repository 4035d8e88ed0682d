import { spawn } from 'child_process';
import * as http from 'http';
import { ClientClosedError } from 'etcd3';
import { createEtcdClient } from './etcd-client';
import { EtcdHarness, eventually, sourceScript, startEtcd } from '@coxswain/testing';

jest.setTimeout(30_000);

/** etcd's own count of open watch streams (a gauge on /metrics). */
function watchStreams(endpoint: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(`${endpoint}/metrics`, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          const m = /^etcd_debugging_mvcc_watch_stream_total (\d+)/m.exec(body);
          m ? resolve(Number(m[1])) : reject(new Error('no etcd_debugging_mvcc_watch_stream_total in /metrics'));
        });
      })
      .on('error', reject);
  });
}

/**
 * Runs `body` in a fresh node process with a client on `endpoint` and resolves with how long the
 * process took to exit after printing CLOSED (the point where nothing should keep it alive).
 */
function exitDelayAfterClose(endpoint: string, body: string): Promise<{ ms: number; stdout: string }> {
  const script = sourceScript(`
    const { createEtcdClient } = require('@coxswain/store');
    const client = createEtcdClient([${JSON.stringify(endpoint)}]);
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

describe('createEtcdClient close() (real etcd)', () => {
  let etcd: EtcdHarness;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd.stop();
  });

  it('ends a watch stream that was never cancelled, so etcd no longer serves it', async () => {
    const client = createEtcdClient(etcd.endpoints);
    const watcher = await client.watch().key('/test/open').create();
    const disconnects: Error[] = [];
    watcher.on('disconnected', (err: Error) => disconnects.push(err));
    await eventually(async () => (await watchStreams(etcd.endpoints[0])) === 1, 5000, 'etcd to serve one watch stream');

    client.close();
    await eventually(async () => (await watchStreams(etcd.endpoints[0])) === 0, 5000, 'etcd to serve no watch stream');
    // No reconnection attempts on the closed client (etcd3 alone retries for ever). etcd3 schedules a
    // reconnect only from the stream-error handler that first emits 'disconnected' on each watcher,
    // and the cancelled stream's end reaches that handler locally before etcd's gauge, read over
    // HTTP after it, can show the stream gone: no 'disconnected' now means no reconnect to come.
    expect(disconnects).toEqual([]);
    await expect(watcher.cancel()).resolves.toBeUndefined();
  });

  it('rejects a create() still in flight with ClientClosedError instead of leaving it pending', async () => {
    const client = createEtcdClient(etcd.endpoints);
    const creating = client.watch().key('/test/pending').create();
    client.close();
    await expect(creating).rejects.toBeInstanceOf(ClientClosedError);
  });

  it('stops the keepalives of a lease it made, so the lease expires by its TTL', async () => {
    const client = createEtcdClient(etcd.endpoints);
    const lease = client.lease(2);
    let keepalives = 0;
    lease.on('keepaliveSucceeded', () => keepalives++);
    const id = await lease.grant();
    const admin = etcd.client();
    const ttl = async () => Number((await admin.leaseClient.leaseTimeToLive({ ID: id })).TTL);
    // Kept alive while the client is open: after three keepalives (one every TTL/3) about one TTL has
    // passed, and etcd still has the lease.
    await eventually(() => keepalives >= 3, 5000, 'three keepalives');
    expect(await ttl()).toBeGreaterThan(0);

    client.close();
    await eventually(async () => (await ttl()) === -1, 5000, 'the lease to expire'); // -1: etcd no longer has the lease
  });

  it('a process that closes its client with a watcher open exits on its own while etcd keeps running', async () => {
    const { ms } = await exitDelayAfterClose(etcd.endpoints[0], `
      await client.watch().prefix('/test/').create();
      await client.lease(5).grant(); // kept alive until close()
      client.close();
    `);
    expect(ms).toBeLessThan(3000);
  });

  it('a process that closes its client while a watcher is being created exits on its own', async () => {
    const { ms, stdout } = await exitDelayAfterClose(etcd.endpoints[0], `
      const creating = client.watch().key('/test/k').create().then(() => 'created', (err) => err.constructor.name);
      client.close();
      console.log('create: ' + (await creating));
    `);
    expect(stdout).toContain('create: ClientClosedError');
    expect(ms).toBeLessThan(3000);
  });
});
