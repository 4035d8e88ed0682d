// The suites that run a local cluster's minions (minion-1..3 on 127.0.1.1..3 with the guestbook's host
// ports 8000, 6379, 6380) take this lock, so two of them never run those minions at the same time on
// one machine.
import { lockMachineWide } from '@coxswain/testing';

/** Waits until this process holds the lock; resolves to its release. */
export function lockLocalMinions(timeoutMs = 10 * 60_000): Promise<() => void> {
  return lockMachineWide('coxswain-e2e-local-minions.lock', 'the local minions', timeoutMs);
}
