// The scheduler in isolation (as Kubernetes' scheduler_perf measures it): pending pods and minions
// are written straight to etcd first, no kubelet runs, then the scheduler process starts and binds
// them all. Rate = pods / (time from the scheduler being ready to the last bound-pod key).
// Afterwards the pods and minions are removed again; the scheduler process stays for the next phases.
import { realClock, type Minion, type Pod } from '@coxswain/objects';
import { BenchContext, countKeys, deletePrefix, inParallel } from './bench-context';
import { spawnBenchChild, type BenchChild } from './bench-child';

export const SCHEDULER_GOAL = 1000;

function isoMinion(name: string): Minion {
  return {
    apiVersion: 'v1',
    kind: 'Minion',
    metadata: { name, labels: { bench: 'scheduler' } },
    spec: {},
    status: { capacity: { cpu: '64', memory: '256Gi', pods: '1000' }, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date().toISOString() }] },
  };
}

function isoPod(i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `iso-${i}`, namespace: 'sched-iso', labels: { bench: 'scheduler', shard: String(i % 10) } },
    spec: {
      containers: [{ name: 'c', image: 'coxswain/busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '10Mi' } } }],
      restartPolicy: 'Always',
      nodeSelector: { bench: 'scheduler' },
    },
  };
}

export async function schedulerPhase(ctx: BenchContext): Promise<BenchChild> {
  const { config, store, client, out } = ctx;
  const minions = Array.from({ length: config.schedulerMinions }, (_, i) => `iso-m-${i}`);
  await inParallel(minions, 32, (name) => store.create(isoMinion(name)));
  await inParallel(
    Array.from({ length: config.schedulerPods }, (_, i) => i),
    64,
    (i) => store.create(isoPod(i)),
  );
  out(`scheduler: ${config.schedulerPods} pending pods on ${config.schedulerMinions} minions written; starting the scheduler`);
  const scheduler = await spawnBenchChild('scheduler', { etcd: ctx.endpoint, workers: 32 }, { nodeArgs: config.childNodeArgs });
  ctx.meter.add('scheduler', scheduler.pid);
  const t0 = Date.now();
  const deadline = t0 + 120_000;
  let bound = 0;
  while (bound < config.schedulerPods && Date.now() < deadline) {
    await realClock.sleep(20);
    bound = await countKeys(client, '/registry/boundpods/iso-m-');
  }
  const seconds = (Date.now() - t0) / 1000;
  const rate = bound / seconds;
  out(`scheduler: bound ${bound}/${config.schedulerPods} in ${seconds.toFixed(2)} s = ${Math.round(rate)} pods/s (goal >= ${SCHEDULER_GOAL})`);
  ctx.results.scheduler = { pods: config.schedulerPods, minions: config.schedulerMinions, bound, seconds, podsPerSecond: rate };
  ctx.figures.atLeast('scheduler', 'pods bound/s in isolation', rate, 'pods/s', SCHEDULER_GOAL);

  // Clean up: the pods (and their bound keys), the minions, their events.
  await deletePrefix(client, '/registry/pods/sched-iso/');
  await deletePrefix(client, '/registry/boundpods/iso-m-');
  await deletePrefix(client, '/registry/minions/iso-m-');
  await deletePrefix(client, '/registry/events/sched-iso/');
  return scheduler;
}
