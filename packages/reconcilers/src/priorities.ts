// Scheduling priorities: among the minions that fit, which is best? Scores are 0..10 per priority and
// summed. "spread" = least requested + spreading the pods of one controller/service across minions;
// "binpack" = most requested first (fewer, fuller minions), still preferring spreading as a tie-break.
import type { MinionInfo } from './scheduling-cache';
import type { PodResources } from './pod-resources';

export type PackingPolicy = 'spread' | 'binpack';

// A pod asking for nothing still takes room; without a default every such pod scores the same
// everywhere and least-requested could not spread them (the Kubernetes scheduler does the same).
const DEFAULT_MILLI_CPU = 100;
const DEFAULT_MEMORY = 200 * 1024 * 1024;

function fraction(requested: number, capacity: number | undefined): number | undefined {
  if (capacity === undefined || capacity <= 0) return undefined;
  return Math.min(1, requested / capacity);
}

/** 0..10: how full the minion would be with the pod (10 = full). Allocation-free: asked per fitting minion. */
function usedScore(pod: PodResources, info: MinionInfo): number {
  const cap = info.capacity;
  const cpu = fraction(info.milliCpu + (pod.milliCpu || DEFAULT_MILLI_CPU), cap.milliCpu);
  const mem = fraction(info.memory + (pod.memory || DEFAULT_MEMORY), cap.memory);
  if (cpu === undefined && mem === undefined) {
    // Without capacities, fall back to the pod count so that "least/most requested" still mean something.
    const n = info.podCount + 1;
    return cap.pods ? 10 * Math.min(1, n / cap.pods) : (10 * n) / (n + 10);
  }
  if (cpu === undefined) return 10 * mem!;
  if (mem === undefined) return 10 * cpu;
  return (10 * (cpu + mem)) / 2;
}

/**
 * Scores for each fitting minion, same order as `fits`; `peers[i]` is how many pods of the same
 * controller and services `fits[i]` already holds (SchedulingCache.peerCounts).
 */
export function scoreMinions(pod: PodResources, peers: readonly number[], fits: readonly MinionInfo[], policy: PackingPolicy): number[] {
  let max = 0;
  for (let i = 0; i < fits.length; i++) if (peers[i] > max) max = peers[i];
  // Plain podCount spreading when no peers exist anywhere keeps unrelated pods from piling up too.
  const scores = new Array<number>(fits.length);
  for (let i = 0; i < fits.length; i++) {
    const spread = max === 0 ? 10 : (10 * (max - peers[i])) / max;
    const used = usedScore(pod, fits[i]);
    scores[i] = policy === 'binpack' ? used + spread / 100 : 10 - used + spread;
  }
  return scores;
}

/** The index of the best score; ties broken with `random` (a function returning [0,1)). */
export function pickBest(scores: number[], random: () => number): number {
  let best = -Infinity;
  const top: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    // Scores are sums of fractions: treat values within a hair as ties.
    if (scores[i] > best + 1e-9) {
      best = scores[i];
      top.length = 0;
      top.push(i);
    } else if (Math.abs(scores[i] - best) <= 1e-9) top.push(i);
  }
  if (top.length === 0) return -1;
  return top[Math.min(top.length - 1, Math.floor(random() * top.length))];
}
