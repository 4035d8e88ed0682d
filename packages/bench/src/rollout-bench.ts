// `npm run bench -- rollout [--quick]`: a Deployment of 1,000 replicas (200 with --quick) on hollow
// minions rolled to a new template with maxUnavailable 10% and maxSurge 0. The rollout's time is held
// against its lower bound measured in the same run: batches (replicas / maxUnavailable) × the fastest
// pod startup (created -> Ready) among the rollout's own pods. A watch samples the Ready pods at every
// event; the fewest seen must stay at replicas - maxUnavailable.
import { etcdRegistry, startEtcd } from '@coxswain/testing';
import type { Deployment, Pod } from '@coxswain/objects';
import { realClock } from '@coxswain/objects';
import { FigureTable } from './figure-table';
import { deploymentFixture, isReady, PodSampler, RolloutCluster, rolloutDone } from './rollout-cluster';

export interface RolloutBenchResult {
  replicas: number;
  batches: number;
  rolloutSeconds: number;
  podStartupP50Ms: number;
  lowerBoundSeconds: number;
  minReady: number;
  markdown: string;
}

async function waitDone(store: ReturnType<typeof etcdRegistry>, ns: string, name: string, timeoutMs: number): Promise<Deployment> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await store.get<Deployment>('deployments', ns, name);
    if (rolloutDone(d)) return d;
    if (Date.now() > deadline) throw new Error(`rollout of ${name} not done in ${timeoutMs} ms: ${JSON.stringify(d.status)}`);
    await realClock.sleep(50);
  }
}

export async function rolloutBench(argv: string[] = []): Promise<RolloutBenchResult> {
  const quick = argv.includes('--quick');
  const replicas = quick ? 200 : 1000;
  const minions = quick ? 10 : 20;
  const startLatencyMs = 200;
  const out = (s: string) => console.log(s);
  const etcd = await startEtcd();
  const store = etcdRegistry(etcd.client());
  const cluster = new RolloutCluster(store, etcd.endpoints);
  try {
    await cluster.start(minions, 'rollout', { startLatencyMs });
    const ns = 'rollout-bench';
    await store.create(deploymentFixture('big', ns, replicas, 'big:v1', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%', maxSurge: 0 } }));
    await waitDone(store, ns, 'big', 600_000);
    out(`rollout: ${replicas} replicas Ready on ${minions} hollow minions (container start ${startLatencyMs} ms)`);
    const sampler = new PodSampler(store, ns);
    await sampler.start();
    const t0 = Date.now();
    await store.guaranteedUpdate<Deployment>('deployments', ns, 'big', (d) => {
      d.spec.template.spec.containers[0].image = 'big:v2';
      return d;
    });
    await realClock.sleep(0);
    await waitDone(store, ns, 'big', 900_000);
    const rolloutSeconds = (Date.now() - t0) / 1000;
    await sampler.stop();

    // Pod startup of the rollout's own pods: created -> Ready (the kubelet's transition time).
    const pods = (await store.list<Pod>('pods', { namespace: ns })).items.filter(isReady);
    const startups = pods
      .map((p) => Date.parse(p.status!.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime!) - Date.parse(p.metadata.creationTimestamp!))
      .sort((a, b) => a - b);
    // No batch can finish before its fastest pod is Ready: the fastest startup is the floor per batch.
    // (The p50 is not: under load it includes queueing that the pipelined rollout overlaps.)
    const podStartupMinMs = startups[0];
    const podStartupP50Ms = startups[Math.floor(startups.length / 2)];
    const batches = Math.ceil(replicas / Math.floor(replicas / 10));
    const lowerBoundSeconds = (batches * podStartupMinMs) / 1000;
    out(`rollout: ${replicas} pods replaced in ${rolloutSeconds.toFixed(1)} s; lower bound ${batches} batches x ${podStartupMinMs} ms fastest startup = ${lowerBoundSeconds.toFixed(1)} s (startup p50 ${podStartupP50Ms} ms); fewest Ready ${sampler.minReady} (floor ${replicas - replicas / 10}) over ${sampler.events} watch events`);
    const figures = new FigureTable();
    figures.add({ section: 'rollout', name: `${replicas} replicas, maxUnavailable 10%: rollout time`, value: rolloutSeconds, unit: 's', against: 'batches x fastest pod startup', againstValue: lowerBoundSeconds });
    figures.add({ section: 'rollout', name: 'pod startup (created -> Ready) p50 during the rollout', value: podStartupP50Ms, unit: 'ms', against: 'container start latency', againstValue: startLatencyMs });
    figures.atLeast('rollout', 'fewest Ready pods during the rollout', sampler.minReady, 'pods', replicas - replicas / 10);
    const markdown = figures.markdown();
    out('');
    out(markdown);
    return { replicas, batches, rolloutSeconds, podStartupP50Ms, lowerBoundSeconds, minReady: sampler.minReady, markdown };
  } finally {
    await cluster.stop();
    await store.close();
    await etcd.stop();
  }
}
