// The remote command protocol kubectl speaks over a WebSocket for exec and attach (Kubernetes'
// "channel.k8s.io" family, v4 and v5): every binary message starts with a channel byte —
// 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize — and the rest is that channel's data. The error
// channel carries one v1 Status when the command ends: Success, or Failure with reason
// NonZeroExitCode and the code in details.causes[{reason: ExitCode}], which kubectl turns into its
// own exit code. The resize channel carries `{"Width":80,"Height":24}`. v5 adds a close signal:
// channel 255 followed by the channel being closed (kubectl closes stdin that way at EOF).
import type WebSocket from 'ws';
import type { StreamSession } from './runtime';

export const REMOTE_COMMAND_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

/** The first protocol the client offers that this server speaks (kubectl offers the newest first). */
export function pickRemoteCommandProtocol(offered: Iterable<string>): string | false {
  for (const p of offered) if ((REMOTE_COMMAND_PROTOCOLS as readonly string[]).includes(p)) return p;
  return false;
}

/** The Status the error channel carries when a command ends (or could not run). */
export function exitStatus(command: string[] | undefined, exitCode: number | undefined): object {
  if (!exitCode) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${(command ?? []).join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

export function failureStatus(message: string): object {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
}

/** Carries one session's streams over the socket until the process ends or the client leaves. */
export function serveRemoteCommand(ws: WebSocket, session: StreamSession, command: string[] | undefined): void {
  const send = (channel: number, data: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.of(channel), Buffer.isBuffer(data) ? data : Buffer.from(data)]));
  };
  session.stdout.on('data', (d: Buffer) => send(STDOUT, d));
  session.stderr.on('data', (d: Buffer) => send(STDERR, d));
  ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[]) => {
    const msg = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    if (msg.length === 0) return;
    const data = msg.subarray(1);
    if (msg[0] === STDIN) session.stdin?.write(data);
    else if (msg[0] === RESIZE) {
      const size = parseResize(data);
      if (size) void session.resize(size).catch(() => undefined);
    } else if (msg[0] === CLOSE && data[0] === STDIN && ws.protocol === 'v5.channel.k8s.io') session.stdin?.end();
  });
  ws.on('close', () => session.close());
  // The Status goes last: after every byte of output has been sent.
  const drained = (s: NodeJS.ReadableStream) => new Promise<void>((resolve) => (s as import('stream').Readable).readableEnded ? resolve() : s.once('end', resolve));
  Promise.all([session.finished, drained(session.stdout), drained(session.stderr)]).then(
    ([code]) => {
      send(ERROR, JSON.stringify(exitStatus(command, code)));
      ws.close(1000);
    },
    (e: Error) => {
      send(ERROR, JSON.stringify(failureStatus(e.message)));
      ws.close(1000);
    },
  );
}

function parseResize(data: Buffer): { width: number; height: number } | undefined {
  try {
    const size = JSON.parse(data.toString('utf8')) as { Width?: unknown; Height?: unknown };
    if (typeof size.Width === 'number' && typeof size.Height === 'number' && size.Width > 0 && size.Height > 0) return { width: size.Width, height: size.Height };
  } catch {
    // A malformed resize is dropped, as the kubelet does: the stream itself is fine.
  }
  return undefined;
}
