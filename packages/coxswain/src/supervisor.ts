// Runs the components of a local cluster as child processes and restarts one that dies, with a
// jittered backoff that resets once the component has stayed up for a while.
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, createWriteStream, fstatSync, openSync, readSync, WriteStream } from 'node:fs';
import { Backoff } from '@coxswain/client';
import { realClock, type Clock } from '@coxswain/objects';
import { createLogger, type Logger } from '@coxswain/process';

export interface ComponentSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Where the component's stdout/stderr go (appended). */
  logFile: string;
  /** How long a component gets to exit after SIGTERM before SIGKILL. */
  stopGraceMs?: number;
}

export interface SupervisorOptions {
  /** Where the supervisor's own events go (default: the process's JSON log on stdout). */
  logger?: Logger;
  /** Also copy the component's output here (`coxswain up -v` passes stdout). */
  echo?: NodeJS.WritableStream;
  /** Times the restart backoff. Default: the real clock. */
  clock?: Clock;
}

/** How the component's last run ended, when it ended on its own. */
export interface ComponentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started at all (ENOENT, EACCES). */
  error?: string;
}

export class SupervisedProcess {
  private child?: ChildProcess;
  private stopping = false;
  private restarts = 0;
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly out: WriteStream;
  /** Aborted by stop(): ends a pending restart delay. */
  private readonly stopped = new AbortController();
  private readonly log: Logger;
  private exit?: ComponentExit;

  constructor(
    readonly spec: ComponentSpec,
    private readonly opts: SupervisorOptions = {},
  ) {
    this.out = createWriteStream(spec.logFile, { flags: 'a' });
    this.log = opts.logger ?? createLogger('supervisor');
    this.clock = opts.clock ?? realClock;
    this.backoff = new Backoff({ initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000, clock: this.clock });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get restartCount(): number {
    return this.restarts;
  }

  /** How the most recent run ended on its own (not by stop()); undefined while it never has. */
  get lastExit(): ComponentExit | undefined {
    return this.exit;
  }

  start(): void {
    const { name, command, args, env } = this.spec;
    // Its own process group: a Ctrl-C at the terminal reaches `coxswain up` only, which then stops the
    // components in order (minions first) instead of every process dying at once.
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      stream?.pipe(this.out, { end: false });
      if (this.opts.echo) stream?.pipe(this.opts.echo, { end: false });
    }
    let spawnError: string | undefined;
    child.on('error', (err) => {
      spawnError = err.message;
      this.out.write(`coxswain up: could not start ${command}: ${err.message}\n`);
      this.log.error({ component: name, err: err.message }, 'component failed to start');
    });
    // 'close' comes after 'error' for a command that could not be spawned, and after the output is read.
    child.on('close', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      this.exit = { code, signal, ...(spawnError ? { error: spawnError } : {}) };
      const delay = this.backoff.nextDelay();
      this.restarts++;
      this.log.warn({ component: name, code, signal, restartInMs: Math.round(delay), restarts: this.restarts }, 'component exited; restarting');
      void this.clock.sleep(delay, this.stopped.signal).then(() => {
        if (!this.stopping) this.start();
      });
    });
  }

  /** Kills the component the hard way (tests use it to check that the supervisor restarts it). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), this.spec.stopGraceMs ?? 10_000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.out.end(resolve));
  }
}

/** The last `count` lines of a file (read from its end; a missing file has none). */
export function lastLines(file: string, count: number, maxBytes = 64 * 1024): string[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const lines = buf.toString('utf8').split('\n');
    if (length < size) lines.shift(); // a partial first line
    while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}
