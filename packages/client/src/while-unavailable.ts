// A one-shot command's store call that rides out etcd's brief unavailability: a member added or
// removed, or a leader that stepped down, costs a leader election (a second or more, longer on a
// busy machine), during which calls miss their deadline. A long-running loop retries by itself;
// a command such as `coxswain leave` retries here, for a bounded time, then fails with etcd's error.
import { UnavailableError, realClock, type Clock } from '@coxswain/objects';
import { Backoff } from './backoff';

export interface WhileUnavailableOptions {
  /** How long to keep trying after the first failure. Default 60 s. */
  timeoutMs?: number;
  clock?: Clock;
}

/** `op`'s result, trying again while it fails with UnavailableError, until `timeoutMs` has passed. */
export async function whileUnavailable<T>(op: () => Promise<T>, opts: WhileUnavailableOptions = {}): Promise<T> {
  const clock = opts.clock ?? realClock;
  const backoff = new Backoff({ initialMs: 250, maxMs: 2_000, clock });
  let deadline: number | undefined;
  for (;;) {
    try {
      return await op();
    } catch (e) {
      if (!(e instanceof UnavailableError)) throw e;
      deadline ??= clock.now() + (opts.timeoutMs ?? 60_000);
      if (clock.now() >= deadline) throw e;
    }
    await backoff.wait();
  }
}
