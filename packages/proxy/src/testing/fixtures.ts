// Loopback backends for the proxy's tests and bench: HTTP servers that answer with their name, a
// port nobody listens on, and an endpoint that never completes a TCP handshake.
import * as http from 'http';
import * as net from 'net';
import { spawn, type ChildProcess } from 'child_process';

export interface NamedBackend {
  name: string;
  host: string;
  port: number;
  /** Requests answered so far. */
  hits: number;
  close(): Promise<void>;
}

/** An HTTP server whose every response body is its name. */
export async function startNamedBackend(name: string, host = '127.0.0.1'): Promise<NamedBackend> {
  const sockets = new Set<net.Socket>();
  const backend: NamedBackend = {
    name,
    host,
    port: 0,
    hits: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    backend.hits++;
    req.resume();
    res.setHeader('content-type', 'text/plain');
    res.end(name);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  backend.port = (server.address() as net.AddressInfo).port;
  return backend;
}

/** GET / on host:port with a fresh connection (optionally from a given source address); the body. */
export function fetchText(host: string, port: number, localAddress?: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, localAddress, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`request to ${host}:${port} timed out`)));
    req.on('error', reject);
  });
}

export interface Blackhole {
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * An endpoint whose TCP handshake never completes: a child process listens with a backlog of 1 and
 * then blocks its event loop, so after two queued connections the kernel drops further SYNs and a
 * connect() hangs — what a dead host looks like, without leaving loopback. The child blocks right
 * after writing its port (a write to a pipe is synchronous on Linux), before its loop could accept
 * anything, so the two fillers stay queued.
 */
export async function startBlackhole(host = '127.0.0.1'): Promise<Blackhole> {
  const script =
    `const s=require('net').createServer();` +
    `s.listen({port:0,host:${JSON.stringify(host)},backlog:1},()=>{` +
    `process.stdout.write(String(s.address().port)+'\\n');` +
    `for(;;)Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,60000)})`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
  });
  // Fill the accept queue; these connections complete and are never accepted.
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const s = net.connect(port, host);
    s.on('error', () => undefined);
    fillers.push(s);
    await new Promise((r) => s.once('connect', r));
  }
  return {
    host,
    port,
    close: async () => {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}
