// A pass run at start and then every interval on an injectable clock, never two at once: a pass
// asked for while one is running joins it. stop() ends the loop and waits for the pass in flight.
// The pass itself handles its errors (a loop that dies on one would stop measuring for good).
import { realClock, type Clock } from '@coxswain/objects';

export class PeriodicTask {
  private stopping?: AbortController;
  private loop?: Promise<void>;
  private current?: Promise<void>;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly clock: Clock = realClock,
  ) {}

  start(): void {
    const stopping = (this.stopping = new AbortController());
    this.loop = (async () => {
      while (!stopping.signal.aborted) {
        await this.runNow();
        await this.clock.sleep(this.intervalMs, stopping.signal);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping?.abort();
    await this.loop;
  }

  /** One pass now, or the one already running. */
  runNow(): Promise<void> {
    this.current ??= this.pass().finally(() => (this.current = undefined));
    return this.current;
  }
}
