// The kubelet's accounting on the memory runtime with a manual clock: rates from two readings, a pod's
// figures the sum of its containers', sandboxes and stopped containers left out, the minion's own
// use, and /stats/summary serving it.
import { FakeClock } from '@coxswain/testing';
import { startLogServer } from './log-server';
import { MemoryRuntime } from './memory-runtime';
import { parseNodeUsage, type NodeUsage } from './node-usage';
import { LABELS, SANDBOX_NAME } from './runtime';
import { StatsCollector, type Summary } from './stats-collector';

const MiB = 2 ** 20;

async function podWith(runtime: MemoryRuntime, pod: string, containers: string[]): Promise<string[]> {
  const labels = (container: string) => ({ [LABELS.minion]: 'm1', [LABELS.namespace]: 'default', [LABELS.podName]: pod, [LABELS.podUid]: `uid-${pod}`, [LABELS.container]: container });
  const sandbox = await runtime.runSandbox({ name: `${pod}-pod`, image: 'pause', labels: labels(SANDBOX_NAME), network: 'n', ports: [] });
  const ids = [];
  for (const c of containers) {
    const id = await runtime.createContainer({ name: `${pod}-${c}`, image: 'img', env: [], labels: labels(c), sandboxId: sandbox });
    await runtime.startContainer(id);
    ids.push(id);
  }
  return ids;
}

describe('StatsCollector', () => {
  const clock = new FakeClock(Date.parse('2026-12-05T10:00:00Z'));
  // Busy containers (name "busy") use 900m and 64 MiB; the rest the default synthetic figures.
  const runtime = new MemoryRuntime({ clock, images: ['pause', 'img'], usage: (c) => (c.name.endsWith('-busy') ? { cpuMillicores: 900, memoryBytes: 64 * MiB } : undefined) });
  let node: NodeUsage = { timestampMs: clock.now(), cpuBusyNanoSeconds: 0, memoryTotalBytes: 4096 * MiB, memoryFreeBytes: 1024 * MiB, memoryAvailableBytes: 3072 * MiB };
  const stats = new StatsCollector({ runtime, minion: 'm1', clock, nodeUsage: async () => node });

  beforeAll(() => runtime.ensureNetwork({ name: 'n', subnet: '10.9.0.0/24', gateway: '10.9.0.1' }));

  it('has memory at once and a CPU rate from the second reading; a pod sums its containers, without its sandbox', async () => {
    await podWith(runtime, 'web', ['busy', 'side']);
    await stats.sample();
    let [web] = stats.summary().pods;
    expect(web.podRef).toEqual({ name: 'web', namespace: 'default', uid: 'uid-web' });
    expect(web.containers.map((c) => c.name).sort()).toEqual(['busy', 'side']);
    expect(web.memory.workingSetBytes).toBe(64 * MiB + 8 * MiB);
    expect(web.cpu.usageNanoCores).toBeUndefined();

    await clock.advance(10_000);
    node = { ...node, timestampMs: clock.now(), cpuBusyNanoSeconds: 15e9 };
    await stats.sample();
    [web] = stats.summary().pods;
    const rate = Object.fromEntries(web.containers.map((c) => [c.name, c.cpu.usageNanoCores]));
    expect(rate).toEqual({ busy: 900e6, side: 5e6 });
    expect(web.cpu.usageNanoCores).toBe(905e6);
    expect(web.cpu.usageCoreNanoSeconds).toBe(905e6 * 10);
    // The minion: 15 s of CPU over 10 s is 1.5 cores; working set is total minus available.
    expect(stats.summary().node).toMatchObject({ nodeName: 'm1', cpu: { usageNanoCores: 1.5e9 }, memory: { workingSetBytes: 1024 * MiB, availableBytes: 3072 * MiB } });
  });

  it('drops a stopped container at the next reading, and serves the summary at /stats/summary', async () => {
    const [db] = await podWith(runtime, 'db', ['main']);
    await stats.sample();
    expect(stats.summary().pods.map((p) => p.podRef.name)).toEqual(['db', 'web']);
    await runtime.stopContainer(db, 0);
    await clock.advance(10_000);
    await stats.sample();
    expect(stats.summary().pods.map((p) => p.podRef.name)).toEqual(['web']);

    const server = await startLogServer({ minion: 'm1', runtime, host: '127.0.0.1', port: 0, summary: (view) => stats.body(view) });
    try {
      const res = await fetch(`${server.url}/stats/summary`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(JSON.parse(JSON.stringify(stats.summary())));
    } finally {
      await server.close();
    }
  });

  it('a hollow minion\'s own use is its running containers\' synthetic use (sandboxes and stopped containers left out)', async () => {
    // Running now: web's busy (900m, 64 MiB) and side (5m, 8 MiB); db's main was stopped above.
    const hollow = new StatsCollector({ runtime, minion: 'm1', clock, nodeUsage: () => runtime.nodeUsage(4096 * MiB) });
    await hollow.sample();
    await clock.advance(10_000);
    await hollow.sample();
    expect(hollow.summary().node).toMatchObject({ cpu: { usageNanoCores: 905e6 }, memory: { workingSetBytes: 72 * MiB, availableBytes: 4024 * MiB } });
  });

  it('reads the minion from /proc/stat and /proc/meminfo', () => {
    const u = parseNodeUsage('cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 1 2 3\n', 'MemTotal:       2048 kB\nMemFree:         512 kB\nMemAvailable:   1024 kB\n', 42);
    expect(u).toEqual({ timestampMs: 42, cpuBusyNanoSeconds: (100 + 5 + 50 + 1 + 2 + 3) * 1e7, memoryTotalBytes: 2048 * 1024, memoryFreeBytes: 512 * 1024, memoryAvailableBytes: 1024 * 1024 });
  });
  it('?only_usage=true serves the figures the pipeline reads, equal to the full summary\'s, and leaves out a pod without a rate yet', async () => {
    await podWith(runtime, 'fresh', ['main']);
    await clock.advance(5_000);
    const server = await startLogServer({ minion: 'm1', runtime, host: '127.0.0.1', port: 0, summary: (view) => stats.body(view) });
    try {
      // The last reading is 5 s old: the first request reads anew; "fresh" has one reading so far.
      const usage = (await (await fetch(`${server.url}/stats/summary?only_usage=true`)).json()) as Summary;
      const full = stats.summary();
      expect(full.pods.map((p) => p.podRef.name)).toEqual(['fresh', 'web']);
      expect(full.pods[0].cpu.usageNanoCores).toBeUndefined();
      const web = full.pods[1];
      expect(usage).toEqual({
        node: { nodeName: 'm1', cpu: { time: full.node.cpu!.time, usageNanoCores: full.node.cpu!.usageNanoCores }, memory: { time: full.node.memory!.time, workingSetBytes: full.node.memory!.workingSetBytes } },
        pods: [
          {
            podRef: { name: 'web', namespace: 'default' },
            containers: web.containers.map((c) => ({ name: c.name, cpu: { time: c.cpu.time, usageNanoCores: c.cpu.usageNanoCores }, memory: { time: c.memory.time, workingSetBytes: c.memory.workingSetBytes } })),
          },
        ],
      });
      expect(usage.pods[0].containers.map((c) => c.cpu.usageNanoCores)).toEqual([900e6, 5e6]);
    } finally {
      await server.close();
    }
  });

  it('reads on demand: a body asked for within the interval is the same reading, one asked for later reads anew; a container is read when it starts', async () => {
    const r = new MemoryRuntime({ clock, images: ['pause', 'img'] });
    await r.ensureNetwork({ name: 'n', subnet: '10.9.0.0/24', gateway: '10.9.0.1' });
    const onDemand = new StatsCollector({ runtime: r, minion: 'm1', clock, intervalMs: 5_000, nodeUsage: () => r.nodeUsage(4096 * MiB) });
    onDemand.start();
    try {
      await podWith(r, 'api', ['main']);
      // The runtime's start events arrive a turn later, as an engine's stream would; the start is read
      // then, so one more reading (the next body's) makes a rate.
      await new Promise((resolve) => setImmediate(resolve));
      await clock.advance(5_000);
      const first = await onDemand.body('usage');
      expect(JSON.parse(first).pods).toEqual([expect.objectContaining({ podRef: { name: 'api', namespace: 'default' } })]);
      await clock.advance(4_000);
      expect(await onDemand.body('usage')).toBe(first);
      await clock.advance(1_000);
      const later = JSON.parse(await onDemand.body('usage')) as Summary;
      expect(later.pods[0].containers[0].cpu.time).toBe(new Date(clock.now()).toISOString());
      expect(later.pods[0].containers[0].cpu.usageNanoCores).toBe(5e6);
    } finally {
      await onDemand.stop();
    }
  });
});
