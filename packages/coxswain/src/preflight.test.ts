// What a user sees when etcd or Docker is missing: the exact command that installs or starts it.
import { pingDocker, PreflightError, requireDocker, requireEtcd } from './preflight';

describe('preflight', () => {
  const savedPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  it('names the apt-get command when etcd is not on PATH', () => {
    process.env.PATH = '/nonexistent';
    expect(() => requireEtcd()).toThrow(PreflightError);
    expect(() => requireEtcd()).toThrow(/sudo apt-get install -y etcd-server/);
  });

  it('passes when etcd is installed', () => {
    expect(() => requireEtcd()).not.toThrow();
  });

  it('says how to start or install Docker when no engine answers on the socket', async () => {
    expect(await pingDocker('/nonexistent/docker.sock', 500)).toBe(false);
    const saved = process.env.DOCKER_SOCKET;
    jest.resetModules();
    process.env.DOCKER_SOCKET = '/nonexistent/docker.sock';
    try {
      const fresh: typeof import('./preflight') = require('./preflight');
      await expect(fresh.requireDocker()).rejects.toThrow(/dockerd|apt-get install -y docker.io/);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_SOCKET;
      else process.env.DOCKER_SOCKET = saved;
    }
  });

  it('passes when the local engine answers', async () => {
    await expect(requireDocker()).resolves.toBeUndefined();
  });
});
