// Clean shutdown on SIGTERM/SIGINT: every process registers its cleanups (stop informers, resign
// leadership, close servers, close the store) with onShutdown(); the first signal runs them once,
// newest first (what was opened last closes first), then exits. A second signal, or cleanups that
// take longer than the grace period, exit at once. This is the only place a Coxswain process handles
// SIGTERM/SIGINT: components expose stop(), and the binary registers it here.
import { EventEmitter } from 'events';
import { Clock, realClock, withTimeout } from '@coxswain/objects';
import { createLogger, Logger } from './logger';

export type Cleanup = () => unknown | Promise<unknown>;

export interface ShutdownOptions {
  /** Default ['SIGTERM', 'SIGINT']. */
  signals?: NodeJS.Signals[];
  /** How long cleanups may take before the process exits anyway. Default 10 s. */
  graceMs?: number;
  logger?: Logger;
  /** Injected for tests: where signals come from, how to exit, and the clock of the grace period. Defaults: `process`, realClock. */
  emitter?: EventEmitter;
  exit?: (code: number) => void;
  clock?: Clock;
}

export interface ShutdownCoordinator {
  /** Registers a cleanup; returns a function that unregisters it. */
  onShutdown(fn: Cleanup): () => void;
  /** Runs the cleanups (once) and exits with `code` (0 unless a cleanup failed or timed out). */
  shutdown(reason: string, code?: number): Promise<void>;
  /** Changes the grace period (a process whose cleanups stop other processes needs longer). */
  setGraceMs(ms: number): void;
  readonly shuttingDown: boolean;
}

export function createShutdownCoordinator(opts: ShutdownOptions = {}): ShutdownCoordinator {
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  let graceMs = opts.graceMs ?? 10_000;
  const log = opts.logger ?? createLogger('shutdown');
  const emitter = opts.emitter ?? process;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const clock = opts.clock ?? realClock;
  const cleanups: Cleanup[] = [];
  let running: Promise<void> | undefined;
  let installed = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (running) {
      log.warn({ signal }, 'second signal during shutdown: exiting now');
      exit(130);
      return;
    }
    void coordinator.shutdown(`received ${signal}`);
  };

  function install(): void {
    if (installed) return;
    installed = true;
    for (const s of signals) emitter.on(s, onSignal);
  }

  async function runAll(reason: string, code: number): Promise<void> {
    log.info({ reason, cleanups: cleanups.length }, 'shutting down');
    let failed = false;
    const work = (async () => {
      for (const fn of [...cleanups].reverse()) {
        try {
          await fn();
        } catch (err) {
          failed = true;
          log.error({ err }, 'cleanup failed');
        }
      }
    })();
    const timedOut = await withTimeout(work, graceMs, 'cleanups did not finish in time', clock).then(
      () => false,
      () => true,
    );
    if (timedOut) log.error({ graceMs }, 'cleanups did not finish in time');
    for (const s of signals) emitter.off(s, onSignal);
    exit(timedOut || failed ? code || 1 : code);
  }

  const coordinator: ShutdownCoordinator = {
    onShutdown(fn) {
      install();
      cleanups.push(fn);
      return () => {
        const i = cleanups.indexOf(fn);
        if (i >= 0) cleanups.splice(i, 1);
      };
    },
    shutdown(reason, code = 0) {
      install();
      running ??= runAll(reason, code);
      return running;
    },
    setGraceMs(ms) {
      graceMs = ms;
    },
    get shuttingDown() {
      return running !== undefined;
    },
  };
  return coordinator;
}

let processCoordinator: ShutdownCoordinator | undefined;

function defaultCoordinator(): ShutdownCoordinator {
  return (processCoordinator ??= createShutdownCoordinator());
}

/** Registers a cleanup to run once when the process gets SIGTERM or SIGINT (or shutdown() is called). */
export function onShutdown(fn: Cleanup): () => void {
  return defaultCoordinator().onShutdown(fn);
}

/** Runs the registered cleanups and exits, e.g. when a leader loses its lease. */
export function shutdown(reason: string, code = 0): Promise<void> {
  return defaultCoordinator().shutdown(reason, code);
}

/** How long the process's cleanups may take before it exits anyway (default 10 s). */
export function setShutdownGrace(ms: number): void {
  defaultCoordinator().setGraceMs(ms);
}
