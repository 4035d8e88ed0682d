// One scheduling decision: filter the minions by the predicates, score those that fit, pick the best
// (ties at random). Pure over the SchedulingCache, so it is tested without etcd.
import type { Pod } from '@coxswain/store';
import { failureMessage, unfitReasons } from './predicates';
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
  const fits: MinionInfo[] = [];
  const reasons: string[][] = [];
  for (const info of minions) {
    const r = unfitReasons(candidate, info);
    if (r.length === 0) fits.push(info);
    else reasons.push(r);
  }
  if (fits.length === 0) return { message: failureMessage(minions.length, reasons) };
  const scores = scoreMinions(resources, { controller: controllerUid(pod), services: cache.servicesFor(pod) }, fits, opts.policy ?? 'spread');
  return { minion: fits[pickBest(scores, opts.random ?? Math.random)].name };
}
