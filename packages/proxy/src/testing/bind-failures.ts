// The scenario both listener tests run for a port that cannot be bound: something else holds the
// port; the listener reports failed binds and retries with growing delays; once the port is freed it
// binds. The outcome is summed up as a user reading the log would see it.
import { eventually } from '@coxswain/testing';
import type { BindFailure, PortListener, PortListenerOptions } from '../port-listener';

export interface BindRetryOutcome {
  /** Distinct error codes of the first 3 failures. */
  codes: string[];
  attempts: number[];
  delaysGrow: boolean;
  listeningWhileTaken: boolean;
  listeningAfterFreed: boolean;
}

export interface Squatter {
  port: number;
  free(): Promise<void>;
}

/**
 * `squat` takes a port; `listen` builds (not starts) a listener on it with the given bind options.
 * Returns once the listener is bound after the port was freed.
 */
export async function bindRetryOutcome(
  squat: () => Promise<Squatter>,
  listen: (port: number, bind: Pick<PortListenerOptions, 'bindBackoff' | 'onBindFailure'>) => PortListener,
  timeoutMs = 5000,
): Promise<BindRetryOutcome> {
  const squatter = await squat();
  const failures: BindFailure[] = [];
  const l = listen(squatter.port, { bindBackoff: { initialMs: 20, maxMs: 100, jitter: 0 }, onBindFailure: (f) => failures.push(f) });
  l.start();
  await eventually(() => failures.length >= 3, timeoutMs, 'three bind failures', 10);
  const listeningWhileTaken = l.listening;
  const first = failures.slice(0, 3);
  await squatter.free();
  await l.ready;
  return {
    codes: [...new Set(first.map((f) => f.error.code ?? f.error.message))],
    attempts: first.map((f) => f.attempt),
    delaysGrow: first.every((f, i) => i === 0 || f.retryInMs > first[i - 1].retryInMs),
    listeningWhileTaken,
    listeningAfterFreed: l.listening,
  };
}

export const EXPECTED_BIND_RETRY: BindRetryOutcome = {
  codes: ['EADDRINUSE'],
  attempts: [1, 2, 3],
  delaysGrow: true,
  listeningWhileTaken: false,
  listeningAfterFreed: true,
};
