// Loopback ports for the servers and etcd members tests start. A port is free when probed and can be
// taken before its server binds it (by a parallel test, or by the kernel handing it out again), so the
// starters that bind later retry on "address already in use".
import * as net from 'node:net';

/**
 * `count` distinct ports on `host` that were free a moment ago: all held open at once, then released.
 * One at a time, the kernel may hand the same port out twice, and an etcd given it as client and
 * peer port fails to start ("bind: address already in use"), as it did in a CI run.
 */
export async function freePorts(host: string, count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, host, () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  }
}

/** A port on `host` that was free a moment ago (connecting to it is refused). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return (await freePorts(host, 1))[0];
}

/**
 * `start()` again (up to `attempts` times in all) while it fails because a port it was given was
 * taken before it bound it; `start` picks new ports each time. Any other failure ends it at once.
 */
export async function startRetryingTakenPorts<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (e) {
      if (attempt >= attempts || !/address already in use/i.test(String(e))) throw e;
    }
  }
}
