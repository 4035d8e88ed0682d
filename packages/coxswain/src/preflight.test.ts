// What a user sees when something `coxswain up` needs is missing or taken: one line that says what
// and how to fix it.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDirProblem, dockerProblem, pingDocker, portProblem, PreflightError, requireDocker, requireEtcd, runningUpPid } from './preflight';

function listen(port: number, host = '127.0.0.1'): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, host, () => resolve(s));
  });
}

describe('preflight', () => {
  const savedPath = process.env.PATH;
  const dir = mkdtempSync(join(tmpdir(), 'coxswain-preflight-'));
  afterEach(() => {
    process.env.PATH = savedPath;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the apt-get command when etcd is not on PATH, in one line', () => {
    process.env.PATH = '/nonexistent';
    expect(() => requireEtcd()).toThrow(PreflightError);
    expect(() => requireEtcd()).toThrow(/^etcd was not found on PATH: install it with `sudo apt-get install -y etcd-server`[^\n]*$/);
  });

  it('passes when an etcd executable is on PATH, and not for a file that cannot run', () => {
    // The machine's own etcd plays no part (the unit project runs without one): PATH is the test's.
    const bin = join(dir, 'bin');
    const etcd = join(bin, 'etcd');
    mkdirSync(bin);
    writeFileSync(etcd, '#!/bin/sh\n', { mode: 0o644 });
    process.env.PATH = `/nonexistent:${bin}`;
    expect(() => requireEtcd()).toThrow(PreflightError);
    chmodSync(etcd, 0o755);
    expect(() => requireEtcd()).not.toThrow();
  });

  it('says how to start Docker, or to run without it, when no engine answers on the socket', async () => {
    expect(await pingDocker('/nonexistent/docker.sock', 500)).toBe(false);
    expect(await dockerProblem('/nonexistent/docker.sock')).toMatch(/^no Docker engine answers at \/nonexistent\/docker\.sock: (start|install).*dockerd.*--runtime memory$/);
  });

  it('passes when the local engine answers', async () => {
    await expect(requireDocker()).resolves.toBeUndefined();
  });

  it('names a port that is taken, who holds it, and the flag that moves it', async () => {
    const taken = await listen(0);
    const port = (taken.address() as { port: number }).port;
    try {
      const problem = await portProblem('127.0.0.1', port, 'API server', '--port');
      expect(problem).toBe(`port ${port} on 127.0.0.1 (API server) is already in use by node (pid ${process.pid}): stop that process or choose another port with --port`);
    } finally {
      await new Promise((r) => taken.close(r));
    }
    expect(await portProblem('127.0.0.1', port, 'API server', '--port')).toBeUndefined();
  });

  it('a listener on every address takes the loopback port too', async () => {
    const taken = await listen(0, '0.0.0.0');
    const port = (taken.address() as { port: number }).port;
    try {
      expect(await portProblem('127.0.0.1', port, 'etcd clients', '--etcd-port')).toMatch(new RegExp(`^port ${port} on 127\\.0\\.0\\.1 \\(etcd clients\\) is already in use.*--etcd-port$`));
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('says the data dir is not writable, and creates logs/ in one that is', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(dataDirProblem(join(file, 'cluster'))).toBe(`data dir ${join(file, 'cluster')} is not writable (a parent is not a directory): choose another with --data-dir DIR`);
    expect(dataDirProblem(join(dir, 'cluster'))).toBeUndefined();
    expect(dataDirProblem('/proc/coxswain')).toBe('data dir /proc/coxswain is not writable (it cannot be created there): choose another with --data-dir DIR');
  });

  it('finds a coxswain up still running from the data dir, and ignores a stale pid file', () => {
    const d = mkdtempSync(join(dir, 'running-'));
    expect(runningUpPid(d)).toBeUndefined();
    writeFileSync(join(d, 'up.pid'), '999999999');
    expect(runningUpPid(d)).toBeUndefined();
    // Our parent is a live process; whether it counts depends on its command line naming "up".
    writeFileSync(join(d, 'up.pid'), String(process.ppid));
    expect([undefined, process.ppid]).toContain(runningUpPid(d));
  });
});
