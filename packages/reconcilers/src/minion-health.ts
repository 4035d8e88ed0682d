// When a minion counts as alive: pure timing rules for the minion lifecycle controller.
//  - healthy: heard from within `graceMs`;
//  - notReady: silent longer than the grace period: no new pods, its pods are marked not ready;
//  - evict: silent longer than grace + eviction timeout: its pods are deleted so that their
//    controllers recreate them elsewhere.
export type MinionVerdict = 'healthy' | 'notReady' | 'evict';

export interface MinionTimeouts {
  graceMs: number;
  evictionMs: number;
}

export function judgeMinion(nowMs: number, lastHeardMs: number, t: MinionTimeouts): { verdict: MinionVerdict; nextCheckInMs: number } {
  const silent = nowMs - lastHeardMs;
  if (silent <= t.graceMs) return { verdict: 'healthy', nextCheckInMs: t.graceMs - silent + 1 };
  if (silent <= t.graceMs + t.evictionMs) return { verdict: 'notReady', nextCheckInMs: t.graceMs + t.evictionMs - silent + 1 };
  return { verdict: 'evict', nextCheckInMs: Math.max(1000, Math.min(t.graceMs, 10_000)) };
}
