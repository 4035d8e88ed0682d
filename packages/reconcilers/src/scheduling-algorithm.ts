// One scheduling decision: filter the minions by the predicates, score those that fit, pick the best
// (ties at random). Pure over the SchedulingCache (apart from the cache's search offset), so it is
// tested without etcd.
//
// Like Kubernetes' percentageOfNodesToScore, the filter stops once enough minions fit: in a large
// cluster the best of a few hundred fitting minions is as good as the best of all, at a fraction of
// the cost. Each search starts where the previous one stopped, so every minion gets its turn. When
// nothing fits, every minion has been tested, so the message names the reasons for all of them.
import type { Pod } from '@coxswain/objects';
import { failureMessage, fits, unfitReasons } from './predicates';
import { PackingPolicy, pickBest, scoreMinions } from './priorities';
import { controllerUid, podResources } from './pod-resources';
import type { MinionInfo, SchedulingCache } from './scheduling-cache';

export type ScheduleResult = { minion: string } | { minion?: undefined; message: string };

export interface ScheduleOptions {
  policy?: PackingPolicy;
  random?: () => number;
  /**
   * Stop filtering once this percentage of the minions fit (1..100; never fewer than 100 minions).
   * Unset or 0: adaptive, 50% at 100 minions falling to 5% from 5,625 minions (as Kubernetes).
   */
  percentageOfMinionsToScore?: number;
}

/** Below this many feasible minions the search never stops early. */
export const MIN_FEASIBLE_MINIONS_TO_FIND = 100;

/** How many fitting minions the search looks for among `total` before it stops. */
export function feasibleMinionsToFind(total: number, percentage?: number): number {
  if (total <= MIN_FEASIBLE_MINIONS_TO_FIND) return total;
  let pct = percentage ?? 0;
  if (pct <= 0) pct = Math.max(5, 50 - total / 125);
  if (pct >= 100) return total;
  return Math.max(MIN_FEASIBLE_MINIONS_TO_FIND, Math.floor((total * pct) / 100));
}

export function schedulePod(pod: Pod, cache: SchedulingCache, opts: ScheduleOptions = {}): ScheduleResult {
  const resources = podResources(pod);
  const candidate = { labels: pod.metadata.labels, nodeSelector: pod.spec.nodeSelector, resources };
  const minions = cache.listMinions();
  const total = minions.length;
  const wanted = feasibleMinionsToFind(total, opts.percentageOfMinionsToScore);
  const start = total > 0 ? cache.searchStart() % total : 0;
  // The cheap test, from the rotating start, until enough fit; the reasons are worked out only when
  // none fits (the message).
  const fitting: MinionInfo[] = [];
  let tested = 0;
  while (tested < total && fitting.length < wanted) {
    const info = minions[(start + tested) % total];
    tested++;
    if (fits(candidate, info)) fitting.push(info);
  }
  cache.advanceSearch(tested);
  if (fitting.length === 0) return { message: failureMessage(total, minions.map((info) => unfitReasons(candidate, info))) };
  const peers = cache.peerCounts({ controller: controllerUid(pod), services: cache.servicesFor(pod) }, fitting);
  const scores = scoreMinions(resources, peers, fitting, opts.policy ?? 'spread');
  return { minion: fitting[pickBest(scores, opts.random ?? Math.random)].name };
}
