// Back-off between restarts of a crashing container (the reason `CrashLoopBackOff`), per pod
// container, as Kubernetes does it: the first restart is immediate; each restart within the current
// delay of the last exit waits it out, and the delay doubles up to a maximum. A container that stays
// up for twice the maximum starts again from the initial delay. The clock is injected.
import { Clock, realClock } from '@coxswain/objects';

export interface RestartBackoffOptions {
  initialMs?: number;
  maxMs?: number;
  clock?: Clock;
}

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export class RestartBackoff {
  private readonly entries = new Map<string, Entry>();
  readonly initialMs: number;
  readonly maxMs: number;
  private readonly clock: Clock;

  constructor(opts: RestartBackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 10_000;
    this.maxMs = opts.maxMs ?? 300_000;
    this.clock = opts.clock ?? realClock;
  }

  /** How long until a container that exited at `finishedAt` (ms) may restart; 0 when it may now. */
  remaining(key: string, finishedAt: number): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    const now = this.clock.now();
    if (now - e.lastUpdate > 2 * this.maxMs) return 0;
    return Math.max(0, finishedAt + e.delayMs - now);
  }

  /** Records a restart: the next exit waits longer. */
  next(key: string): void {
    const now = this.clock.now();
    const e = this.entries.get(key);
    if (!e || now - e.lastUpdate > 2 * this.maxMs) this.entries.set(key, { delayMs: this.initialMs, lastUpdate: now });
    else this.entries.set(key, { delayMs: Math.min(this.maxMs, e.delayMs * 2), lastUpdate: now });
  }

  /** The current delay for the key (0 if none). */
  current(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** Forgets one key: its next restart is immediate again. */
  forget(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets keys by prefix (a pod's containers once the pod is gone). */
  forgetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}
