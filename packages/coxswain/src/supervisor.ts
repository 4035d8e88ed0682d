// Runs the components of a local cluster as child processes and restarts one that dies, with a
// jittered backoff that resets once the component has stayed up for a while.
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, WriteStream } from 'node:fs';
import { Backoff } from '@coxswain/client';
import { realClock } from '@coxswain/objects';
import type { Clock } from '@coxswain/objects';
import { createLogger } from '@coxswain/process';

const log = createLogger('supervisor');

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
  /** Times the restart backoff. Default: the real clock. */
  clock?: Clock;
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

  constructor(
    readonly spec: ComponentSpec,
    opts: SupervisorOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.backoff = new Backoff({ initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000, clock: this.clock });
    this.out = createWriteStream(spec.logFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get restartCount(): number {
    return this.restarts;
  }

  start(): void {
    const { name, command, args, env } = this.spec;
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.pipe(this.out, { end: false });
    child.stderr?.pipe(this.out, { end: false });
    child.on('error', (err) => log.error({ component: name, err: err.message }, 'component failed to start'));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      const delay = this.backoff.nextDelay();
      this.restarts++;
      log.warn({ component: name, code, signal, restartInMs: Math.round(delay), restarts: this.restarts }, 'component exited; restarting');
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
