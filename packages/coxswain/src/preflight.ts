// Checks that what a local cluster needs is on this machine, and says exactly how to get what is not.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { request } from 'node:http';

export const DOCKER_SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';

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

export function requireEtcd(): void {
  if (!findOnPath('etcd')) {
    throw new PreflightError(
      'etcd was not found on PATH. Install it with:\n    sudo apt-get install -y etcd-server\n' +
        'or point Coxswain at an existing cluster with --etcd-servers http://HOST:2379',
    );
  }
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

export async function requireDocker(): Promise<void> {
  if (await pingDocker()) return;
  const installed = findOnPath('dockerd') !== undefined;
  throw new PreflightError(
    `No Docker engine answers at ${DOCKER_SOCKET}. ` +
      (installed
        ? 'Start it with:\n    sudo dockerd > /var/log/dockerd.log 2>&1 &\n(or `sudo systemctl start docker`)'
        : 'Install and start it with:\n    sudo apt-get install -y docker.io && sudo dockerd > /var/log/dockerd.log 2>&1 &') +
      '\nor run a cluster without Docker: coxswain up --runtime memory',
  );
}
