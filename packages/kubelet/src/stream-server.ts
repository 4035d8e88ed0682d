// The kubelet's streaming endpoints, served as WebSocket upgrades on its HTTP port (log-server.ts):
//   /exec/{namespace}/{pod}/{container}?command=...&stdin=&stdout=&stderr=&tty=
//   /attach/{namespace}/{pod}/{container}?stdin=&stdout=&stderr=&tty=
// in the remote command protocol (remote-command.ts). The API server proxies kubectl's upgrade
// here unchanged after authorizing the user; the kubelet checks only the control plane's credential.
// A request that cannot be served is refused before the upgrade, with a status and a sentence.
import type * as http from 'http';
import type { Duplex } from 'stream';
import { STATUS_CODES } from 'http';
import { WebSocketServer } from 'ws';
import type { Logger } from '@coxswain/process';
import { attemptsOf } from './container-lookup';
import { presentsCredential } from './kubelet-auth';
import { pickRemoteCommandProtocol, REMOTE_COMMAND_PROTOCOLS, serveRemoteCommand } from './remote-command';
import type { ContainerRuntime, StreamSession } from './runtime';

export interface StreamServerOptions {
  minion: string;
  runtime: ContainerRuntime;
  credential?: string;
  logger: Logger;
}

class Refusal extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export function serveStreams(server: http.Server, opts: StreamServerOptions): void {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => pickRemoteCommandProtocol(offered) });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrade(opts, wss, req, socket, head).catch((e: Error) => {
      const code = e instanceof Refusal ? e.code : 500;
      if (code >= 500) opts.logger.warn({ err: e.message, url: req.url }, 'stream request failed');
      refuse(socket, code, e.message);
    });
  });
}

async function upgrade(opts: StreamServerOptions, wss: WebSocketServer, req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  if (opts.credential !== undefined && !presentsCredential(req, opts.credential)) throw new Refusal(401, 'unauthorized: the kubelet answers only the API server');
  const url = new URL(req.url ?? '/', 'http://kubelet');
  const m = /^\/(exec|attach)\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
  if (!m) throw new Refusal(404, `no stream endpoint at ${url.pathname}`);
  const verb = m[1] as 'exec' | 'attach';
  const [namespace, pod, container] = m.slice(2).map(decodeURIComponent);
  const q = url.searchParams;
  const flag = (name: string) => q.get(name) === 'true' || q.get(name) === '1';
  const command = q.getAll('command');
  if (verb === 'exec' && command.length === 0) throw new Refusal(400, 'exec needs a command: at least one "command" parameter');
  const stdin = flag('stdin');
  const tty = flag('tty');
  if (!stdin && !flag('stdout') && !flag('stderr')) throw new Refusal(400, 'at least one of stdin, stdout and stderr must be true');
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || !pickRemoteCommandProtocol(offered)) {
    throw new Refusal(400, `${verb} needs a WebSocket upgrade offering one of the subprotocols ${REMOTE_COMMAND_PROTOCOLS.join(', ')} (SPDY is not served)`);
  }
  const running = (await attemptsOf(opts.runtime, opts.minion, namespace, pod, container)).find((c) => c.state === 'running');
  if (!running) throw new Refusal(404, `container "${container}" of pod ${namespace}/${pod} is not running on minion ${opts.minion}`);

  const session: StreamSession = verb === 'exec' ? await opts.runtime.execStream(running.id, command, { stdin, tty }) : await opts.runtime.attach(running.id, { stdin, tty });
  if (socket.destroyed) return session.close();
  wss.handleUpgrade(req, socket, head, (ws) => serveRemoteCommand(ws, session, verb === 'exec' ? command : undefined));
}

function refuse(socket: Duplex, code: number, message: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = `${message}\n`;
  socket.end(
    [`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}`, 'Content-Type: text/plain; charset=utf-8', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', body].join('\r\n'),
  );
}
