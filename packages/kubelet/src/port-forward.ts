// Kubernetes' port-forward protocol (portforward.k8s.io) on a SPDY session (spdy-session.ts). For
// every connection kubectl accepts on its local port it opens two streams carrying the same
// `requestid` and `port` headers: `streamtype: error`, which kubectl only reads, and `streamtype:
// data`, the connection's bytes both ways. The kubelet connects to the pod's port and splices it to
// the data stream. If that fails, one sentence goes down the error stream (kubectl prints it, and
// kubectl 1.32 then ends the whole port-forward). When the pod side closes, both streams end.
import type { Socket } from 'net';
import type { Logger } from '@coxswain/process';
import type { SpdySession, SpdyStream } from './spdy-session';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

/** How long the second stream of a pair may take to arrive, as the kubelet allows. */
const PAIR_TIMEOUT_MS = 30_000;

export interface PortForwardTarget {
  /** `namespace/name`, for messages. */
  pod: string;
  /** Opens a TCP connection to the pod's port; rejects when nothing listens there. */
  dial(port: number): Promise<Socket>;
}

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

export function servePortForward(session: SpdySession, target: PortForwardTarget, logger: Logger): void {
  const pairs = new Map<string, Pair>();
  session.on('close', () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
  });
  session.on('stream', (stream) => {
    const type = stream.header('streamtype');
    const requestId = stream.header('requestid') ?? '';
    if (type !== 'error' && type !== 'data') return stream.reset();
    let pair = pairs.get(requestId);
    if (!pair) {
      const timer = setTimeout(() => {
        pairs.delete(requestId);
        pair?.error?.end(`timed out waiting for the data stream of request ${requestId}`);
        pair?.data?.reset();
      }, PAIR_TIMEOUT_MS);
      pair = { timer };
      pairs.set(requestId, pair);
    }
    pair[type] = stream;
    if (!pair.error || !pair.data) return;
    clearTimeout(pair.timer);
    pairs.delete(requestId);
    void forward(pair.error, pair.data, target, logger);
  });
}

async function forward(errorStream: SpdyStream, data: SpdyStream, target: PortForwardTarget, logger: Logger): Promise<void> {
  // kubectl writes nothing on the error stream; drain it so its FIN is consumed.
  errorStream.resume();
  const portText = data.header('port') ?? '';
  const port = Number(portText);
  const fail = (reason: string) => {
    if (errorStream.writableEnded) return;
    errorStream.end(`error forwarding port ${portText} to pod ${target.pod}: ${reason}`);
    data.end();
  };
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) return fail('the port must be a number from 1 to 65535');
  let socket: Socket;
  try {
    socket = await target.dial(port);
  } catch (e) {
    logger.info({ pod: target.pod, port, err: (e as Error).message }, 'port-forward: cannot connect to the pod');
    return fail((e as Error).message);
  }
  socket.pipe(data);
  data.pipe(socket);
  socket.on('error', (e) => fail(e.message));
  // The client resetting the data stream (or the session ending) drops the pod connection.
  data.on('close', () => socket.destroy());
  socket.on('close', () => {
    if (!errorStream.writableEnded) errorStream.end();
  });
}
