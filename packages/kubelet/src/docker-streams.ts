// Interactive streams into Docker containers: `docker exec -i [-t]` and `docker attach`, over the
// engine's hijacked connection. Without a tty the engine multiplexes stdout and stderr on that one
// connection (8-byte frame headers) and dockerode's demuxStream splits them; with a tty it is one raw
// stream. Closing our side of the connection closes the process's stdin.
import type Docker from 'dockerode';
import type { Duplex } from 'stream';
import { PassThrough } from 'stream';
import { ContainerNotFoundError, RuntimeError, StreamOptions, StreamSession } from './runtime';

export async function dockerExecStream(docker: Docker, id: string, command: string[], opts: StreamOptions): Promise<StreamSession> {
  const exec = await docker
    .getContainer(id)
    .exec({ Cmd: command, AttachStdin: opts.stdin, AttachStdout: true, AttachStderr: !opts.tty, Tty: opts.tty })
    .catch((e) => {
      throw engineError(e, id, `exec in ${id}`);
    });
  const stream = (await exec.start({ hijack: true, stdin: opts.stdin, Tty: opts.tty })) as unknown as Duplex;
  return session(docker, stream, opts, {
    resize: (size) => exec.resize({ h: size.height, w: size.width }).then(() => undefined),
    // The output ends a moment before the engine records the exit code: ask until it has.
    exitCode: async () => {
      for (let i = 0; i < 50; i++) {
        const info = await exec.inspect();
        if (!info.Running) return info.ExitCode ?? undefined;
        await new Promise((r) => setTimeout(r, 20));
      }
      return undefined;
    },
  });
}

export async function dockerAttach(docker: Docker, id: string, opts: StreamOptions): Promise<StreamSession> {
  const container = docker.getContainer(id);
  const info = await container.inspect().catch((e) => {
    throw engineError(e, id, `attach to ${id}`);
  });
  // The container's own terminal decides the framing; stdin only if it was created open.
  const tty = info.Config.Tty;
  const stdin = opts.stdin && info.Config.OpenStdin;
  const stream = (await container.attach({ stream: true, stdin, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
  return session(docker, stream, { stdin, tty }, { resize: (size) => container.resize({ h: size.height, w: size.width }).then(() => undefined), exitCode: async () => undefined });
}

interface ProcessControl {
  resize(size: { width: number; height: number }): Promise<void>;
  exitCode(): Promise<number | undefined>;
}

function session(docker: Docker, stream: Duplex, opts: StreamOptions, control: ProcessControl): StreamSession {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  if (opts.tty) {
    stream.pipe(stdout);
    stderr.end();
  } else {
    docker.modem.demuxStream(stream, stdout, stderr);
    stream.on('end', () => {
      stdout.end();
      stderr.end();
    });
  }
  const ended = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', resolve);
  });
  return {
    stdin: opts.stdin ? stream : undefined,
    stdout,
    stderr,
    resize: control.resize,
    finished: ended.then(() => {
      stdout.end();
      stderr.end();
      return control.exitCode();
    }),
    close: () => stream.destroy(),
  };
}

function engineError(e: unknown, id: string, what: string): Error {
  const status = (e as { statusCode?: number }).statusCode;
  if (status === 404) return new ContainerNotFoundError(id);
  return new RuntimeError(`${what}: ${(e as Error).message}`);
}
