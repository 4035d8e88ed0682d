// What the TCP and UDP service listeners share: their identity (service port, address, balancer,
// counters) and the bind side — keep trying to bind the service port (a port in use, or an address
// that does not exist yet, is reported and retried with backoff, never thrown), know whether it is
// bound, and stop for good on close. Subclasses bind their socket type and carry the traffic.
import { Backoff, type BackoffOptions } from '@coxswain/client';
import { createLogger, type Logger } from '@coxswain/process';
import { realClock, type Clock } from '@coxswain/objects';
import type { LoadBalancer } from './load-balancer';
import { ServiceStats } from './service-stats';

export interface BindFailure {
  error: NodeJS.ErrnoException;
  /** Failures in a row, 1 for the first. */
  attempt: number;
  /** How long until the next try. */
  retryInMs: number;
}

export interface PortListenerOptions {
  /** For logs: `namespace/service:port`. */
  name: string;
  address: string;
  port: number;
  balancer: LoadBalancer;
  stats?: ServiceStats;
  /** How many endpoints one client connection (UDP: session) tries at most. */
  maxAttempts?: number;
  /** Retry timing for a port that cannot be bound. */
  bindBackoff?: BackoffOptions;
  /** Called on every failed bind (the caller records an Event); the listener retries by itself. */
  onBindFailure?: (failure: BindFailure) => void;
  logger?: Logger;
  clock?: Clock;
}

export const DEFAULT_MAX_ATTEMPTS = 4;

export abstract class PortListener {
  readonly name: string;
  readonly address: string;
  readonly stats: ServiceStats;
  protected portNumber: number;
  protected readonly balancer: LoadBalancer;
  protected readonly maxAttempts: number;
  protected readonly log: Logger;
  protected readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly onBindFailure?: (failure: BindFailure) => void;
  private readonly stop = new AbortController();
  private bound = false;
  private resolveBound!: () => void;
  /** Resolves once the port is bound (or the listener was closed before it could be). */
  readonly ready: Promise<void> = new Promise((r) => (this.resolveBound = r));

  constructor(opts: PortListenerOptions, protocol: 'TCP' | 'UDP') {
    this.name = opts.name;
    this.address = opts.address;
    this.portNumber = opts.port;
    this.balancer = opts.balancer;
    this.stats = opts.stats ?? new ServiceStats();
    this.maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.clock = opts.clock ?? realClock;
    this.backoff = new Backoff({ initialMs: 500, maxMs: 30_000, clock: this.clock, ...opts.bindBackoff });
    this.onBindFailure = opts.onBindFailure;
    this.log = opts.logger ?? createLogger('proxy', { service: opts.name, address: opts.address, port: opts.port, protocol });
  }

  /** The service port (the port actually bound, when the options asked for 0). */
  get port(): number {
    return this.portNumber;
  }

  get listening(): boolean {
    return this.bound && !this.closed;
  }

  /** Starts binding in the background; bind failures are reported and retried, never thrown. */
  start(): void {
    void this.bindLoop();
  }

  /** Stops serving the port; `dropConnections` also ends established connections (shutdown). */
  abstract close(dropConnections?: boolean): void;

  /**
   * Binds a fresh socket once: rejects with the bind error, or calls `markBound` and resolves once
   * the socket is in service (or closes it and resolves if the listener was closed meanwhile).
   */
  protected abstract bindOnce(): Promise<void>;

  protected get closed(): boolean {
    return this.stop.signal.aborted;
  }

  protected markBound(): void {
    this.bound = true;
    this.resolveBound();
  }

  /** Stops bind retries; false when the listener was already closed. */
  protected stopBinding(): boolean {
    if (this.closed) return false;
    this.stop.abort();
    this.resolveBound();
    return true;
  }

  private async bindLoop(): Promise<void> {
    let attempt = 0;
    while (!this.closed) {
      try {
        await this.bindOnce();
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
