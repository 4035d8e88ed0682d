// Time, injected: production code reads it from realClock, tests from a FakeClock (no sleeps).

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** What withTimeout rejects with when the time is up. */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/**
 * Settles as `work` does, or rejects with TimeoutError(message) once `ms` have passed on `clock`,
 * whichever comes first. The timer is cancelled as soon as `work` settles, so a promise that
 * finished in time does not keep the process alive for the rest of the timeout.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, message: string, clock: Clock = realClock): Promise<T> {
  const settled = new AbortController();
  const timeUp = clock.sleep(ms, settled.signal).then(() => {
    if (!settled.signal.aborted) throw new TimeoutError(message);
  });
  return Promise.race([work, timeUp as Promise<never>]).finally(() => settled.abort());
}
