// The kubelet's streaming endpoints, served as WebSocket upgrades on its HTTP port (log-server.ts):
//   /exec/{namespace}/{pod}/{container}?command=...&stdin=&stdout=&stderr=&tty=
//   /attach/{namespace}/{pod}/{container}?stdin=&stdout=&stderr=&tty=
// in the remote command protocol (remote-command.ts), and
//   /portForward/{namespace}/{pod}
// in the port-forward protocol (port-forward.ts) over SPDY/3.1: either tunnelled in a WebSocket
// (subprotocol `SPDY/3.1+portforward.k8s.io`, what kubectl 1.32 tries first) or after a plain
// `Upgrade: SPDY/3.1` (its fallback). The API server proxies kubectl's upgrade
// here unchanged after authorizing the user; the kubelet checks only the control plane's credential.
// A request that cannot be served is refused before the upgrade, with a status and a sentence.
import type * as http from 'http';
import type { Duplex } from 'stream';
import { STATUS_CODES } from 'http';
import { connect, type Socket } from 'net';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { Logger } from '@coxswain/process';
import { attemptsOf } from './container-lookup';
import { presentsCredential } from './kubelet-auth';
import { pickRemoteCommandProtocol, REMOTE_COMMAND_PROTOCOLS, serveRemoteCommand } from './remote-command';
import { PORT_FORWARD_PROTOCOL, servePortForward } from './port-forward';
import { SANDBOX_NAME, type ContainerRuntime, type StreamSession } from './runtime';
import { SpdySession } from './spdy-session';

/** The WebSocket subprotocol that carries SPDY for port-forward (client-go's tunnelling prefix). */
const TUNNELED_PORT_FORWARD = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;
/**
 * `ws` accepts only RFC 6455 tokens as offered subprotocols, and `/` is not one, so the offer is
 * swapped for this token before the handshake; the answer still names the real protocol.
 */
const TUNNEL_TOKEN = 'coxswain-spdy-tunnel';

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
  const tunnels = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has(TUNNEL_TOKEN) ? TUNNELED_PORT_FORWARD : false) });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const done = /^\/portForward\//.test(req.url ?? '') ? portForward(opts, tunnels, req, socket, head) : upgrade(opts, wss, req, socket, head);
    done.catch((e: Error) => {
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

async function portForward(opts: StreamServerOptions, tunnels: WebSocketServer, req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  if (opts.credential !== undefined && !presentsCredential(req, opts.credential)) throw new Refusal(401, 'unauthorized: the kubelet answers only the API server');
  const url = new URL(req.url ?? '/', 'http://kubelet');
  const m = /^\/portForward\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
  if (!m) throw new Refusal(404, `no stream endpoint at ${url.pathname}`);
  const [namespace, pod] = m.slice(1).map(decodeURIComponent);
  const upgradeTo = req.headers.upgrade?.toLowerCase();
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const streamProtocols = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((p) => p.trim());
  const websocket = upgradeTo === 'websocket' && offered.includes(TUNNELED_PORT_FORWARD);
  if (!websocket && !(upgradeTo === 'spdy/3.1' && streamProtocols.includes(PORT_FORWARD_PROTOCOL))) {
    throw new Refusal(400, `port-forward needs a WebSocket upgrade offering the subprotocol ${TUNNELED_PORT_FORWARD}, or an upgrade to SPDY/3.1 with X-Stream-Protocol-Version ${PORT_FORWARD_PROTOCOL}`);
  }
  const sandbox = (await attemptsOf(opts.runtime, opts.minion, namespace, pod, SANDBOX_NAME)).find((c) => c.state === 'running');
  const ip = sandbox && (sandbox.ip ?? (await opts.runtime.inspect(sandbox.id)).ip);
  if (!ip) throw new Refusal(404, `pod ${namespace}/${pod} has no running network sandbox on minion ${opts.minion}`);
  const target = { pod: `${namespace}/${pod}`, dial: (port: number) => dialPod(ip, port) };
  if (websocket) {
    req.headers['sec-websocket-protocol'] = TUNNEL_TOKEN;
    tunnels.handleUpgrade(req, socket, head, (ws) => servePortForward(new SpdySession(createWebSocketStream(ws)), target, opts.logger));
    return;
  }
  socket.write(['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: SPDY/3.1', `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}`, '', ''].join('\r\n'));
  if (head.length) socket.unshift(head);
  servePortForward(new SpdySession(socket), target, opts.logger);
}

/** A TCP connection to the pod's address (the sandbox owns the pod's network namespace). */
function dialPod(ip: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, ip);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

function refuse(socket: Duplex, code: number, message: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = `${message}\n`;
  socket.end(
    [`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}`, 'Content-Type: text/plain; charset=utf-8', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', body].join('\r\n'),
  );
}
