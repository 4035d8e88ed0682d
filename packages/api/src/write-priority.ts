// Writes before long reads: while a mutating request is being served, a streaming LIST waits between
// two of its chunks, so the write's few event-loop turns (body read, etcd answer, response) do not
// each queue behind a chunk of a 20,000-item list (#25: PUT p99 <= 100 ms also during a LIST-all
// loop). A LIST waits at most maxPauseMs per chunk, so a steady stream of writes cannot starve it.
import type { IncomingMessage, ServerResponse } from 'node:http';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class WritePriority {
  private inFlight = 0;
  private waiters = new Set<() => void>();

  constructor(private readonly maxPauseMs = 25) {}

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

  /** Resolves at once when no write is being served; else when none is, or after maxPauseMs. */
  pause(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.maxPauseMs);
      this.waiters.add(wake);
    });
  }
}
