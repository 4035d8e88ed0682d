// Pod startup latency at full density, measured the way Kubernetes' density test measures its SLO:
// once the saturation pods are all Running, "latency pods" are created one at a time at a steady rate
// and each is followed from creation to Running seen through a watch. The saturation pods' own
// startup latency mostly measures queueing (20,000 pods created within seconds: the last waits for
// all before it), so it is reported beside this one, not held to the 5 s SLO.
import { realClock } from '@coxswain/objects';
import type { ApiClient } from '@coxswain/client';
import type { BenchContext } from './bench-context';
import { PodTracker, type StartupLatency } from './pod-tracker';
import { createRetrying } from './create-retrying';

export const LATENCY_NS = 'latency';

function latencyPod(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: LATENCY_NS, labels: { bench: 'latency' } },
    spec: {
      containers: [{ name: 'sleep', image: 'coxswain/busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
      restartPolicy: 'Always',
      nodeSelector: { hollow: 'true' },
    },
  };
}

/** Creates `config.latencyPods` pods at `config.latencyPodsPerSecond` on the full cluster; their startup latency. */
export async function latencyPodsPhase(ctx: BenchContext, api: ApiClient): Promise<StartupLatency & { pods: number; running: number }> {
  const { config, out } = ctx;
  const n = config.latencyPods;
  const tracker = new PodTracker(ctx.store, (p) => p.metadata.namespace === LATENCY_NS);
  tracker.start(await ctx.store.currentRevision());
  const gapMs = 1000 / config.latencyPodsPerSecond;
  const t0 = Date.now();
  const creates: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    // Paced against the start, so a slow POST does not slow the rate down (the next one is not late).
    await realClock.sleep(Math.max(0, t0 + i * gapMs - Date.now()));
    creates.push(createRetrying(() => api.create('pods', latencyPod(`latency-${i}`), { namespace: LATENCY_NS })));
  }
  await Promise.all(creates);
  const allRunning = await tracker.waitRunning(n, 60_000);
  await tracker.stop();
  const lat = tracker.latency();
  out(
    `latency pods: ${tracker.counts.running}/${n} Running${allRunning ? '' : ' (timed out after 60 s)'}, created ${config.latencyPodsPerSecond}/s on the full cluster; ` +
      `startup p50/p90/p99 ${lat.total.p50.toFixed(0)}/${lat.total.p90.toFixed(0)}/${lat.total.p99.toFixed(0)} ms`,
  );
  return { ...lat, pods: n, running: tracker.counts.running };
}
