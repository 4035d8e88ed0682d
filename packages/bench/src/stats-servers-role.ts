// The kubelets' half of the scrape-cost bench (scrape-cost-bench.ts), in a process of its own so that
// its CPU is read apart from the scraper's: `count` kubelet endpoints as a hollow process serves them
// (a StatsCollector over each minion's own MemoryRuntime, and the kubelet's LogServer on the
// minion's own loopback address), each minion running `podsPerMinion` pods of one container. No etcd
// and no Kubelet: only the part a scrape reaches.
import { LABELS, MemoryRuntime, startLogServer, StatsCollector, type LogServer } from '@coxswain/kubelet';
import { createLogger } from '@coxswain/process';
import { hollowAddress } from './hollow-address';

export interface StatsServersOptions {
  count: number;
  podsPerMinion: number;
  port: number;
}

const IMAGE = 'busybox';
const MEMORY_BYTES = 64 * 2 ** 30;

/** A minion's runtime with its pods running, as the hollow kubelet's sync would have left it. */
async function runtimeWithPods(minion: string, pods: number): Promise<MemoryRuntime> {
  const runtime = new MemoryRuntime({ images: [IMAGE] });
  await runtime.ensureNetwork({ name: 'pods', subnet: '10.0.0.0/16', gateway: '10.0.0.1' });
  for (let p = 0; p < pods; p++) {
    const pod = { [LABELS.minion]: minion, [LABELS.namespace]: 'default', [LABELS.podName]: `${minion}-pod-${p}`, [LABELS.podUid]: `${minion}-uid-${p}` };
    const sandboxId = await runtime.runSandbox({ name: `${minion}-pod-${p}-sandbox`, image: IMAGE, labels: { ...pod, [LABELS.container]: 'POD' }, network: 'pods', ports: [] });
    const id = await runtime.createContainer({ name: `${minion}-pod-${p}-main`, image: IMAGE, env: [], labels: { ...pod, [LABELS.container]: 'main' }, sandboxId });
    await runtime.startContainer(id);
  }
  return runtime;
}

export async function startStatsServers(o: StatsServersOptions) {
  const log = createLogger('stats-servers');
  const collectors: StatsCollector[] = [];
  const servers: LogServer[] = [];
  for (let i = 0; i < o.count; i++) {
    const minion = `minion-${i}`;
    const runtime = await runtimeWithPods(minion, o.podsPerMinion);
    const collector = new StatsCollector({ runtime, minion, nodeUsage: () => runtime.nodeUsage(MEMORY_BYTES) });
    collectors.push(collector);
    servers.push(await startLogServer({ minion, runtime, host: hollowAddress(i), port: o.port, summary: (view) => collector.body(view), logger: log }));
  }
  return {
    info: { endpoints: servers.map((s, i) => ({ minion: `minion-${i}`, url: s.url })) },
    stop: async () => {
      await Promise.all(collectors.map((c) => c.stop()));
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
