// What the CLI touches of the outside world, injected so that runCli can be tested in-process.
import * as os from 'node:os';

export interface OutputStream {
  write(chunk: string): unknown;
  /** True on a terminal: progress is drawn as a bar instead of plain lines. */
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborting ends long-running verbs (`get -w`, `logs -f`) cleanly; the process wires it to SIGINT. */
  signal?: AbortSignal;
}

export function processIo(signal?: AbortSignal): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    signal,
  };
}

export function homeDir(io: CliIo): string {
  return io.env.HOME || os.homedir();
}

/** Reads a whole stream (stdin for `-c -` / `-f -`) as UTF-8. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
