// Real Docker: a few kubelets on the Docker runtime (minions 127.0.1.41.., pod networks
// 172.30.41.0/24..), and single-pod replication controllers created one at a time, at most one a
// second. Each pod's startup latency (created -> Running, seen through a watch) is set next to a bare
// create+start of the same image taken right after that pod is Running: the two alternate, so both
// see the same load from the rest of the machine (the limit phase's bare figure, taken minutes
// earlier, is reported too). The controllers select those minions by label only.
import type { ApiClient } from '@coxswain/client';
import { realClock, type Pod } from '@coxswain/objects';
import { BenchContext } from './bench-context';
import { spawnBenchChild } from './bench-child';
import { removeByLabel, removeNetwork, timeCreateStart } from './docker-engine';
import { breakdown, breakdownTable } from './docker-breakdown';
import type { DockerCall } from './docker-trace';
import { LatencySamples, type LatencySummary } from './latency-samples';
import { PodTracker } from './pod-tracker';

/** Issue #25: pod startup p50 within 0.25 s of a bare create+start p50 in the same run. */
export const DOCKER_ADDED_GOAL_MS = 250;
export const DOCKER_NS = 'bench-docker';
const NS = DOCKER_NS;

export async function dockerPhase(ctx: BenchContext, api: ApiClient, bareP50: number): Promise<void> {
  const { config, out } = ctx;
  const minions = Array.from({ length: config.dockerMinions }, (_, i) => ({ name: `bench-docker-${41 + i}`, address: `127.0.1.${41 + i}`, podCIDR: `172.30.${41 + i}.0/24` }));
  const kubelets = await spawnBenchChild('docker-kubelets', { etcd: ctx.endpoint, minions, labels: { bench: 'docker' } }, { nodeArgs: config.childNodeArgs });
  ctx.meter.add('docker-kubelets', kubelets.pid);
  const tracker = new PodTracker(ctx.store, (p: Pod) => p.metadata.namespace === NS);
  tracker.start(await ctx.store.currentRevision());
  const bareSamples = new LatencySamples();
  try {
    for (let i = 0; i < config.dockerControllers; i++) {
      const name = `docker-${i}`;
      const t0 = Date.now();
      await api.create(
        'replicationControllers',
        {
          apiVersion: 'v1',
          kind: 'ReplicationController',
          metadata: { name, namespace: NS },
          spec: {
            replicas: 1,
            selector: { rc: name },
            template: {
              metadata: { labels: { rc: name, bench: 'docker' } },
              spec: { containers: [{ name: 'sleep', image: 'coxswain/busybox', command: ['sleep', '3600'] }], restartPolicy: 'Always', nodeSelector: { bench: 'docker' } },
            },
          },
        },
        { namespace: NS },
      );
      // One pod at a time, then the bare anchor under the same load, then the next pod.
      await tracker.waitRunning(i + 1, 30_000);
      bareSamples.add(await timeCreateStart('coxswain/busybox', ['sleep', '3600'], { 'coxswain.bench': 'docker' }));
      const left = 1000 - (Date.now() - t0);
      if (i < config.dockerControllers - 1 && left > 0) await realClock.sleep(left);
    }
    const ok = await tracker.waitRunning(config.dockerControllers, 60_000);
    await tracker.stop();
    const lat = tracker.latency();
    const bare = bareSamples.summary();
    const limitBare = (ctx.results.limit as { dockerCreateStart?: LatencySummary } | undefined)?.dockerCreateStart;
    out(
      `docker: ${tracker.counts.running}/${config.dockerControllers} pods Running${ok ? '' : ' (timed out)'}; startup p50 ${lat.total.p50.toFixed(0)} ms, p99 ${lat.total.p99.toFixed(0)} ms; ` +
        `bare create+start between them p50 ${bare.p50.toFixed(0)} ms, p99 ${bare.p99.toFixed(0)} ms; pod p50 - bare p50 = ${(lat.total.p50 - bare.p50).toFixed(0)} ms (goal <= ${DOCKER_ADDED_GOAL_MS}); ` +
        `limit phase's bare p50 ${bareP50.toFixed(0)} ms, p99 ${(limitBare?.p99 ?? NaN).toFixed(0)} ms`,
    );
    // Where each pod's time went: the kubelets' Engine API calls against this watch's times.
    const calls = ((await kubelets.stats())?.report as { dockerCalls?: DockerCall[] } | undefined)?.dockerCalls ?? [];
    const steps = breakdown(tracker.watchTimes(), calls);
    out(`docker: one pod's startup, step by step (create -> scheduled p50 ${lat.createToScheduled.p50.toFixed(0)} ms before these):\n${breakdownTable(steps)}`);
    ctx.results.docker = { controllers: config.dockerControllers, minions: config.dockerMinions, running: tracker.counts.running, startup: lat, bareCreateStart: bare, limitBareCreateStartP50Ms: bareP50, breakdown: steps };
    ctx.figures.atMost('docker', 'pod startup p50 (create -> Running seen)', lat.total.p50, 'ms', bare.p50 + DOCKER_ADDED_GOAL_MS, { label: `bare create+start p50 (between the pods) ${bare.p50.toFixed(0)} ms + ${DOCKER_ADDED_GOAL_MS} ms`, value: bare.p50 + DOCKER_ADDED_GOAL_MS });
    ctx.figures.add({ section: 'docker', name: 'pod startup p99', value: lat.total.p99, unit: 'ms', against: 'bare create+start p99 (between the pods)', againstValue: bare.p99 });
    ctx.figures.add({ section: 'docker', name: 'scheduled -> container started p50', value: lat.scheduledToRunning.p50, unit: 'ms', against: 'bare create+start p50 (between the pods)', againstValue: bare.p50 });
  } finally {
    await tracker.stop();
    // Controllers first (else they recreate), then the pods: the kubelets stop their containers.
    const rcs = await api.list('replicationControllers', { namespace: NS }).catch(() => ({ items: [] as Record<string, unknown>[] }));
    for (const rc of rcs.items) await api.delete('replicationControllers', String((rc.metadata as { name: string }).name), { namespace: NS }).catch(() => undefined);
    const pods = await api.list('pods', { namespace: NS }).catch(() => ({ items: [] as Record<string, unknown>[] }));
    for (const p of pods.items) await api.delete('pods', String((p.metadata as { name: string }).name), { namespace: NS }).catch(() => undefined);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await ctx.store.list<Pod>('pods', { namespace: NS })).items.length > 0) await realClock.sleep(200);
    await realClock.sleep(2000); // the kubelets' delete syncs
    await kubelets.stop();
    for (const m of minions) {
      await removeByLabel(`coxswain.minion=${m.name}`).catch(() => undefined);
      await removeNetwork(`coxswain-${m.name}`).catch(() => undefined);
      await ctx.store.delete('minions', undefined, m.name).catch(() => undefined);
    }
  }
}
