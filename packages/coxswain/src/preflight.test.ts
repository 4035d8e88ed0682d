// What a user sees when etcd or Docker is missing: the exact command that installs or starts it.
// The machine's own etcd and Docker play no part: PATH and the engine socket are the test's.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pingDocker, PreflightError, requireEtcd } from './preflight';

/** requireDocker() of a fresh preflight module, which reads DOCKER_SOCKET when it loads. */
function requireDockerAt(socket: string): Promise<void> {
  const saved = process.env.DOCKER_SOCKET;
  jest.resetModules();
  process.env.DOCKER_SOCKET = socket;
  try {
    const fresh: typeof import('./preflight') = require('./preflight');
    return fresh.requireDocker();
  } finally {
    if (saved === undefined) delete process.env.DOCKER_SOCKET;
    else process.env.DOCKER_SOCKET = saved;
  }
}

describe('preflight', () => {
  const savedPath = process.env.PATH;
  const dir = mkdtempSync(join(tmpdir(), 'coxswain-preflight-'));
  afterEach(() => {
    process.env.PATH = savedPath;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the apt-get command when etcd is not on PATH', () => {
    process.env.PATH = '/nonexistent';
    expect(() => requireEtcd()).toThrow(PreflightError);
    expect(() => requireEtcd()).toThrow(/sudo apt-get install -y etcd-server/);
  });

  it('passes when an etcd executable is on PATH, and not for a file that cannot run', () => {
    const bin = join(dir, 'bin');
    const etcd = join(bin, 'etcd');
    mkdirSync(bin);
    writeFileSync(etcd, '#!/bin/sh\n', { mode: 0o644 });
    process.env.PATH = `/nonexistent:${bin}`;
    expect(() => requireEtcd()).toThrow(PreflightError);
    chmodSync(etcd, 0o755);
    expect(() => requireEtcd()).not.toThrow();
  });

  it('says how to start or install Docker when no engine answers on the socket', async () => {
    expect(await pingDocker('/nonexistent/docker.sock', 500)).toBe(false);
    await expect(requireDockerAt('/nonexistent/docker.sock')).rejects.toThrow(/dockerd|apt-get install -y docker.io/);
  });

  it('passes when an engine answers /_ping on the socket', async () => {
    const socket = join(dir, 'docker.sock');
    const engine: Server = createServer((req, res) => {
      res.writeHead(req.url === '/_ping' ? 200 : 404);
      res.end('OK');
    });
    await new Promise<void>((resolve) => engine.listen(socket, resolve));
    try {
      expect(await pingDocker(socket)).toBe(true);
      await expect(requireDockerAt(socket)).resolves.toBeUndefined();
    } finally {
      await new Promise((resolve) => engine.close(resolve));
    }
  });
});
