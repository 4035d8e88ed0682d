// Checks that what a local cluster needs is on this machine before anything starts, and says in one
// line per problem what is wrong and how to fix it.
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { request } from 'node:http';

export const DOCKER_SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';

/** A problem found before anything was started; the message is one line per problem. */
export class PreflightError extends Error {}

/** The path of an executable on PATH, or undefined. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export function etcdProblem(): string | undefined {
  if (findOnPath('etcd')) return undefined;
  return 'etcd was not found on PATH: install it with `sudo apt-get install -y etcd-server`, or use a running etcd with --etcd-servers http://HOST:2379';
}

/** The cluster registry of `up --advertise-address` is Debian's docker-registry. */
export function registryProblem(): string | undefined {
  if (findOnPath('docker-registry')) return undefined;
  return 'the cluster registry needs docker-registry on PATH: install it with `sudo apt-get install -y docker-registry`, or pass --registry-port 0';
}

export function opensslProblem(): string | undefined {
  if (findOnPath('openssl')) return undefined;
  return "openssl was not found on PATH: install it with `sudo apt-get install -y openssl` (it makes etcd's certificates), or start with --no-etcd-tls";
}

export function requireEtcd(): void {
  const problem = etcdProblem();
  if (problem) throw new PreflightError(problem);
}

/** Resolves when the Docker engine answers /_ping on its socket. */
export function pingDocker(socketPath = DOCKER_SOCKET, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export async function dockerProblem(socketPath = DOCKER_SOCKET): Promise<string | undefined> {
  if (await pingDocker(socketPath)) return undefined;
  const start = findOnPath('dockerd') !== undefined ? 'start it with `sudo dockerd &`' : 'install and start it with `sudo apt-get install -y docker.io && sudo dockerd &`';
  return `no Docker engine answers at ${socketPath}: ${start}, or run pods without Docker with --runtime memory`;
}

export async function requireDocker(): Promise<void> {
  const problem = await dockerProblem();
  if (problem) throw new PreflightError(problem);
}

/** Undefined when `host:port` can be listened on now; else why not. */
export function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** The process listening on a TCP port, read from /proc (Linux; undefined when it cannot tell). */
export function listenerOf(port: number): { pid: number; command: string } | undefined {
  try {
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text = '';
      try {
        text = readFileSync(table, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        // local_address is HEXIP:HEXPORT; state 0A is LISTEN; the inode is the tenth field.
        if (f.length > 9 && f[3] === '0A' && parseInt(f[1].split(':')[1], 16) === port) inodes.add(f[9]);
      }
    }
    if (!inodes.size) return undefined;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${entry}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        } catch {
          continue;
        }
        const m = /^socket:\[(\d+)\]$/.exec(target);
        if (m && inodes.has(m[1])) {
          const command = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
          return { pid: Number(entry), command };
        }
      }
    }
  } catch {
    // not Linux, or /proc is not readable: the message goes without the holder
  }
  return undefined;
}

/** One line when `host:port`, which `what` needs, cannot be listened on. */
export async function portProblem(host: string, port: number, what: string, flag: string): Promise<string | undefined> {
  const err = await tryListen(host, port);
  if (!err) return undefined;
  if (err.code === 'EADDRINUSE') {
    const holder = listenerOf(port);
    const by = holder ? ` by ${holder.command} (pid ${holder.pid})` : '';
    return `port ${port} on ${host} (${what}) is already in use${by}: stop that process or choose another port with ${flag}`;
  }
  return `cannot listen on ${host}:${port} (${what}): ${err.code ?? err.message}; choose another port with ${flag}`;
}

/** One line when the data dir (and its logs/ directory) cannot be created or written. */
export function dataDirProblem(dir: string): string | undefined {
  const probe = join(dir, 'logs', `.write-test-${process.pid}`);
  try {
    makeDirs(join(dir, 'logs'));
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
    return undefined;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.code === 'EROFS' ? 'read-only file system' : err.code === 'ENOTDIR' ? 'a parent is not a directory' : err.code === 'ENOENT' ? 'it cannot be created there' : (err.code ?? err.message);
    return `data dir ${dir} is not writable (${why}): choose another with --data-dir DIR`;
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdirSync spins for ever under /proc (mkdir there
 * answers ENOENT for a parent that exists).
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!existsSync(at)) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const d of missing) mkdirSync(d);
}

/** The pid of a `coxswain up` still running from this data dir, if any. */
export function runningUpPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'up.pid'), 'utf8'));
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // a stale pid file
  }
  try {
    // A reused pid is some other program.
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('up')) return undefined;
  } catch {
    // no /proc: trust the pid
  }
  return pid;
}
