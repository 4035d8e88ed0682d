// A client that sends a GET and then reads nothing until told to (`socket.resume()`): how tests and
// benches play a watcher that never reads, below any HTTP client that would buffer for it.
import net from 'node:net';

/** Sends `GET path` to `baseUrl` on a raw socket, paused: the server's response waits in the kernel and the server. */
export function unreadHttpGet(baseUrl: string, path: string): Promise<net.Socket> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
