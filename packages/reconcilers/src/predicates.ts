// Scheduling predicates: can this pod go on this minion? Each returns the reasons it cannot (empty if it
// can), worded for the FailedScheduling message ("host port 6380 in use").
import { parseCpu, parseMemory, type Minion } from '@coxswain/objects';
import { nodeSelectorMatches } from './labels';
import type { PodResources } from './pod-resources';
import type { MinionInfo } from './scheduling-cache';

export interface Candidate {
  labels?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  resources: PodResources;
}

// Minion objects from the informer are never mutated (a change is a new object), so the answer can
// be kept per object: with 1,000 minions it is asked 1,000 times per pod.
const readiness = new WeakMap<Minion, boolean>();

export function isMinionReady(minion: Minion): boolean {
  let ready = readiness.get(minion);
  if (ready === undefined) {
    ready = minion.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    readiness.set(minion, ready);
  }
  return ready;
}

export interface MinionCapacity {
  milliCpu?: number;
  memory?: number;
  pods?: number;
}

/** The minion's capacity; a missing value means "not limited" (the seed's minions reported none). */
export function minionCapacity(minion: Minion | undefined): MinionCapacity {
  const c = minion?.status?.capacity;
  const safe = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch {
      return undefined;
    }
  };
  return {
    milliCpu: c?.cpu !== undefined ? safe(() => parseCpu(c.cpu!)) : undefined,
    memory: c?.memory !== undefined ? safe(() => parseMemory(c.memory!)) : undefined,
    pods: c?.pods !== undefined ? safe(() => parseInt(c.pods!, 10)) : undefined,
  };
}

/**
 * Whether the pod fits the minion: exactly `unfitReasons(pod, info).length === 0`, without building
 * the reasons (the scheduler asks this for every minion for every pod; reasons are only wanted when
 * nothing fits).
 */
export function fits(pod: Candidate, info: MinionInfo): boolean {
  if (!info.schedulable) return false;
  if (!nodeSelectorMatches(pod.nodeSelector, info.minion!.metadata.labels)) return false;
  for (const port of pod.resources.hostPorts) if (info.hostPorts.has(port)) return false;
  const cap = info.capacity;
  if (cap.pods !== undefined && info.podCount + 1 > cap.pods) return false;
  if (cap.milliCpu !== undefined && pod.resources.milliCpu > 0 && info.milliCpu + pod.resources.milliCpu > cap.milliCpu) return false;
  if (cap.memory !== undefined && pod.resources.memory > 0 && info.memory + pod.resources.memory > cap.memory) return false;
  return true;
}

/** All the reasons the pod does not fit the minion; [] when it fits. */
export function unfitReasons(pod: Candidate, info: MinionInfo): string[] {
  const minion = info.minion;
  if (!minion) return ['minion unknown'];
  const reasons: string[] = [];
  if (minion.spec?.unschedulable) reasons.push('minion unschedulable');
  else if (!isMinionReady(minion)) reasons.push('minion not ready');
  if (!nodeSelectorMatches(pod.nodeSelector, minion.metadata.labels)) reasons.push("minion labels don't match nodeSelector");
  for (const port of pod.resources.hostPorts) if (info.hostPorts.has(port)) reasons.push(`host port ${port} in use`);
  const cap = info.capacity;
  if (cap.pods !== undefined && info.podCount + 1 > cap.pods) reasons.push('too many pods');
  if (cap.milliCpu !== undefined && pod.resources.milliCpu > 0 && info.milliCpu + pod.resources.milliCpu > cap.milliCpu) {
    reasons.push('insufficient cpu');
  }
  if (cap.memory !== undefined && pod.resources.memory > 0 && info.memory + pod.resources.memory > cap.memory) {
    reasons.push('insufficient memory');
  }
  return reasons;
}

/** "0/3 minions fit: 3 host port 6380 in use" — each reason counted over the minions it applies to. */
export function failureMessage(minionCount: number, reasonsByMinion: string[][]): string {
  if (minionCount === 0) return '0/0 minions fit: no minions registered';
  const counts = new Map<string, number>();
  for (const reasons of reasonsByMinion) for (const r of new Set(reasons)) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([r, n]) => `${n} ${r}`);
  return `0/${minionCount} minions fit: ${parts.join(', ')}`;
}
