// Replication expectations (the Kubernetes replication manager's trick): after asking for N creations
// or deletions, the manager waits until its informer has observed them before it counts pods again,
// so a cache that lags behind its own writes never makes it over-create or over-delete. An
// expectation that is never met (a lost watch event) expires after a timeout.
import { Clock, realClock } from '@coxswain/objects';

interface Expectation {
  adds: number;
  /** Keys of pods we asked to delete and have not yet seen go. */
  deletes: Set<string>;
  setAt: number;
}

export class Expectations {
  private readonly byController = new Map<string, Expectation>();

  constructor(
    private readonly timeoutMs = 5 * 60_000,
    private readonly clock: Clock = realClock,
  ) {}

  /** Whether the controller may act on what the cache says now. */
  satisfied(controllerKey: string): boolean {
    const e = this.byController.get(controllerKey);
    if (!e) return true;
    if (e.adds <= 0 && e.deletes.size === 0) return true;
    return this.clock.now() - e.setAt > this.timeoutMs;
  }

  /** Is this expectation being waited out past its timeout? (for logging) */
  expired(controllerKey: string): boolean {
    const e = this.byController.get(controllerKey);
    return !!e && (e.adds > 0 || e.deletes.size > 0) && this.clock.now() - e.setAt > this.timeoutMs;
  }

  expectCreations(controllerKey: string, n: number): void {
    this.byController.set(controllerKey, { adds: n, deletes: new Set(), setAt: this.clock.now() });
  }

  expectDeletions(controllerKey: string, podKeys: string[]): void {
    this.byController.set(controllerKey, { adds: 0, deletes: new Set(podKeys), setAt: this.clock.now() });
  }

  /** The informer saw a pod of this controller appear (or a create failed and will not appear). */
  creationObserved(controllerKey: string): void {
    const e = this.byController.get(controllerKey);
    if (e && e.adds > 0) e.adds--;
  }

  /** The informer saw the pod go (or our delete of it failed). */
  deletionObserved(controllerKey: string, podKey: string): void {
    this.byController.get(controllerKey)?.deletes.delete(podKey);
  }

  /** The controller itself is gone. */
  delete(controllerKey: string): void {
    this.byController.delete(controllerKey);
  }

  pending(controllerKey: string): { adds: number; deletes: number } {
    const e = this.byController.get(controllerKey);
    return { adds: e?.adds ?? 0, deletes: e?.deletes.size ?? 0 };
  }
}
