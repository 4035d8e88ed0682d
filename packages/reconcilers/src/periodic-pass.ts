// A repair pass run by a leader: once when it starts leading, then every `intervalMs` until it
// stops. A failed pass is logged and tried again at the next tick.
import type { Logger } from '@coxswain/process';

export interface PeriodicPass {
  start(): void;
  stop(): void;
}

export function periodicPass(what: string, pass: () => Promise<unknown>, intervalMs: number, logger: Logger): PeriodicPass {
  let timer: NodeJS.Timeout | undefined;
  const run = () => pass().catch((err: Error) => logger.warn({ err: err.message }, `${what} pass failed`));
  return {
    start: () => {
      void run();
      timer = setInterval(run, intervalMs);
    },
    stop: () => clearInterval(timer),
  };
}

/** `parts` with `pass` beside it: the pass starts after the parts and stops before them. */
export function withPass<P extends { start(): void; stop(): Promise<void> | void }>(parts: P, pass: PeriodicPass): P {
  return {
    ...parts,
    start: () => {
      parts.start();
      pass.start();
    },
    stop: () => {
      pass.stop();
      return parts.stop();
    },
  };
}
