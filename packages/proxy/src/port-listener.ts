// The bind side of a service listener, shared by TCP and UDP: keeps trying to bind the service port
// (a port in use, or an address that does not exist yet, is reported and retried with backoff, never
// thrown), knows whether the port is bound, and stops for good on close.
import { Backoff, realClock, type BackoffOptions, type Clock, type Logger } from '@coxswain/store';

export interface BindFailure {
  error: NodeJS.ErrnoException;
  /** Failures in a row, 1 for the first. */
  attempt: number;
  /** How long until the next try. */
  retryInMs: number;
}

export interface PortBindingOptions {
  /** Retry timing for a port that cannot be bound. */
  bindBackoff?: BackoffOptions;
  /** Called on every failed bind (the caller records an Event); the binding retries by itself. */
  onBindFailure?: (failure: BindFailure) => void;
  log: Logger;
  clock?: Clock;
}

export class PortBinding {
  private readonly backoff: Backoff;
  private readonly onBindFailure?: (failure: BindFailure) => void;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly stop = new AbortController();
  private bound = false;
  private resolveBound!: () => void;
  /** Resolves once the port is bound (or the binding was closed before it could be). */
  readonly ready: Promise<void> = new Promise((r) => (this.resolveBound = r));

  constructor(opts: PortBindingOptions) {
    this.clock = opts.clock ?? realClock;
    this.backoff = new Backoff({ initialMs: 500, maxMs: 30_000, clock: this.clock, ...opts.bindBackoff });
    this.onBindFailure = opts.onBindFailure;
    this.log = opts.log;
  }

  get closed(): boolean {
    return this.stop.signal.aborted;
  }

  get listening(): boolean {
    return this.bound && !this.closed;
  }

  /**
   * Calls `bindOnce` until it resolves or the binding is closed. `bindOnce` binds a fresh socket,
   * rejects with the bind error, and calls `markBound` once its socket is in service.
   */
  start(bindOnce: () => Promise<void>): void {
    void this.loop(bindOnce);
  }

  markBound(): void {
    this.bound = true;
    this.resolveBound();
  }

  /** Stops retries; false when it was already closed. */
  close(): boolean {
    if (this.closed) return false;
    this.stop.abort();
    this.resolveBound();
    return true;
  }

  private async loop(bindOnce: () => Promise<void>): Promise<void> {
    let attempt = 0;
    while (!this.closed) {
      try {
        await bindOnce();
        this.backoff.reset();
        return;
      } catch (e) {
        const error = e as NodeJS.ErrnoException;
        attempt++;
        const retryInMs = this.backoff.nextDelay();
        this.log.warn({ err: error.message, code: error.code, attempt, retryInMs }, 'cannot bind service port; will retry');
        try {
          this.onBindFailure?.({ error, attempt, retryInMs });
        } catch (reportErr) {
          this.log.warn({ err: String(reportErr) }, 'bind failure report failed');
        }
        await this.clock.sleep(retryInMs, this.stop.signal);
      }
    }
  }
}
