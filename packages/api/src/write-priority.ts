// Writes before long reads: while a mutating request is being served, a streaming LIST waits between
// two of its chunks, so the write's few event-loop turns (body read, etcd answer, response) do not
// each queue behind a chunk of a 20,000-item list (#25: PUT p99 <= 100 ms also during a LIST-all
// loop). A LIST waits at most maxPauseMs per chunk, and in all at most a share of the time it has
// been streaming: when etcd is slow, some write is always in flight, and a 150,000-pod LIST of ~4,000
// chunks that waited 25 ms at each took over a minute (#25's k8s-limits run 2, client timed out).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { realClock, type Clock } from '@coxswain/objects';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface WritePriorityOptions {
  /** The longest one pause between two chunks. */
  maxPauseMs?: number;
  /** The most of a LIST's streaming time that may go to pauses: 0.25 makes it at most 4/3 as long. */
  maxPauseShare?: number;
  clock?: Pick<Clock, 'now'>;
}

export class WritePriority {
  private inFlight = 0;
  private waiters = new Set<() => void>();
  private readonly maxPauseMs: number;
  private readonly maxPauseShare: number;
  private readonly clock: Pick<Clock, 'now'>;

  constructor(opts: WritePriorityOptions = {}) {
    this.maxPauseMs = opts.maxPauseMs ?? 25;
    this.maxPauseShare = opts.maxPauseShare ?? 0.25;
    this.clock = opts.clock ?? realClock;
  }

  /** Counts the request as in flight until its response closes, if it writes. */
  track(req: IncomingMessage, res: ServerResponse): void {
    if (!MUTATING.has(req.method ?? '')) return;
    this.inFlight++;
    res.once('close', () => {
      if (--this.inFlight > 0) return;
      for (const wake of [...this.waiters]) wake();
    });
  }

  /** Writes being served now. */
  get writing(): number {
    return this.inFlight;
  }

  /**
   * The pause of one LIST, to await between its chunks: resolves at once when no write is being
   * served or the LIST has used its share of pauses; else when no write is, or after maxPauseMs.
   */
  listPause(): () => Promise<void> {
    const started = this.clock.now();
    let paused = 0;
    return async () => {
      if (this.inFlight === 0) return;
      const budget = this.maxPauseShare * (this.clock.now() - started) - paused;
      if (budget <= 0) return;
      const from = this.clock.now();
      await this.waitForWrites(Math.min(this.maxPauseMs, budget));
      paused += this.clock.now() - from;
    };
  }

  private waitForWrites(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiters.add(wake);
    });
  }
}
