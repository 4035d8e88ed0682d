// One scheduling decision: filter the minions by the predicates, score those that fit, pick the best
// (ties at random). Pure over the SchedulingCache, so it is tested without etcd.
import type { Pod } from '@coxswain/store';
import { failureMessage, fits, unfitReasons } from './predicates';
import { PackingPolicy, pickBest, scoreMinions } from './priorities';
import { controllerUid, podResources } from './pod-resources';
import type { MinionInfo, SchedulingCache } from './scheduling-cache';

export type ScheduleResult = { minion: string } | { minion?: undefined; message: string };

export interface ScheduleOptions {
  policy?: PackingPolicy;
  random?: () => number;
}

export function schedulePod(pod: Pod, cache: SchedulingCache, opts: ScheduleOptions = {}): ScheduleResult {
  const resources = podResources(pod);
  const candidate = { labels: pod.metadata.labels, nodeSelector: pod.spec.nodeSelector, resources };
  const minions = cache.listMinions();
  // The cheap test for every minion; the reasons are worked out only when none fits (the message).
  const fitting: MinionInfo[] = [];
  for (const info of minions) if (fits(candidate, info)) fitting.push(info);
  if (fitting.length === 0) return { message: failureMessage(minions.length, minions.map((info) => unfitReasons(candidate, info))) };
  const scores = scoreMinions(resources, { controller: controllerUid(pod), services: cache.servicesFor(pod) }, fitting, opts.policy ?? 'spread');
  return { minion: fitting[pickBest(scores, opts.random ?? Math.random)].name };
}
