// The kubelet's resource accounting on the real engine: a container burning one core, an idle one,
// and one holding 48 MiB, read by the StatsCollector (Docker's one-shot stats) at most a second apart, as a scrape asks. The
// busy container's rate is compared with the CPU time its cgroup counted over the same span as the
// test reads it itself, and the memory with the cgroup's own files. Minion 'e2e-stats-20', 172.30.20.0/24.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { DockerRuntime, LABELS, StatsCollector, type PodSummary } from '@coxswain/kubelet';
import { eventually } from '@coxswain/testing';
import { ensureImages, IMAGES } from './support/images';

const MINION = 'e2e-stats-20';
const NETWORK = `coxswain-${MINION}`;
const labels = { [LABELS.minion]: MINION };
const MiB = 2 ** 20;

jest.setTimeout(90_000);

/** The memory cgroup of a container's init process, and the figures the kernel keeps there (v1 or v2). */
function cgroupMemory(containerId: string): { usage: number; workingSet: number } {
  const pid = execFileSync('docker', ['inspect', '-f', '{{.State.Pid}}', containerId]).toString().trim();
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
  const path = v1 ? `/sys/fs/cgroup/memory${v1.split(':')[2]}` : `/sys/fs/cgroup${lines.find((l) => l.startsWith('0::'))!.slice(3)}`;
  const stat = Object.fromEntries(readFileSync(`${path}/memory.stat`, 'utf8').trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)]));
  const usage = Number(readFileSync(v1 ? `${path}/memory.usage_in_bytes` : `${path}/memory.current`, 'utf8'));
  return { usage, workingSet: usage - (stat.total_inactive_file ?? stat.inactive_file ?? 0) };
}

describe('resource accounting on Docker', () => {
  const runtime = new DockerRuntime();
  const stats = new StatsCollector({ runtime, minion: MINION, intervalMs: 1000 });
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    await ensureImages();
    await runtime.ensureNetwork({ name: NETWORK, subnet: '172.30.20.0/24', gateway: '172.30.20.1', labels });
    const scripts: Record<string, string> = {
      busy: 'while :; do :; done',
      idle: 'trap "exit 0" TERM; while :; do sleep 1; done',
      // 48 MiB written to tmpfs stay charged to the container's memory cgroup.
      holder: 'head -c 50331648 /dev/zero > /dev/shm/held; trap "exit 0" TERM; while :; do sleep 1; done',
    };
    for (const [pod, script] of Object.entries(scripts)) {
      const podLabels = { ...labels, [LABELS.namespace]: 'default', [LABELS.podName]: pod, [LABELS.podUid]: `uid-${pod}` };
      const sandboxId = await runtime.runSandbox({ name: `coxswain_POD_${pod}_stats`, image: IMAGES.pause, labels: { ...podLabels, [LABELS.container]: 'POD' }, network: NETWORK, ports: [] });
      ids[pod] = await runtime.createContainer({ name: `coxswain_main_${pod}_stats`, image: IMAGES.busybox, command: ['sh', '-c', script], env: [], labels: { ...podLabels, [LABELS.container]: 'main' }, sandboxId });
      await runtime.startContainer(ids[pod]);
    }
    stats.start();
  });

  afterAll(async () => {
    await stats.stop();
    for (const c of await runtime.listContainers(labels)) await runtime.removeContainer(c.id);
    await runtime.removeNetwork(NETWORK);
    await runtime.close();
  });

  // As a scrape does: asking for the body takes a reading when the last is over an interval (1 s) old.
  const current = async () => (await stats.body('full'), stats.summary());
  const pod = async (name: string): Promise<PodSummary | undefined> => (await current()).pods.find((p) => p.podRef.name === name);

  it('a container burning a core reads as the CPU its cgroup counted (about 1000m on an idle machine); an idle one under 20m', async () => {
    await eventually(async () => { const s = await current(); return ['busy', 'idle', 'holder'].every((n) => s.pods.find((p) => p.podRef.name === n)?.cpu.usageNanoCores !== undefined); }, 20_000, 'CPU rates for the three pods', 200);
    // Over a few seconds, the collector's rate for the busy container against the CPU time the engine
    // reports for it (the cgroup's cumulative counter) divided by the same wall-clock span.
    const first = (await runtime.usage(ids.busy))!;
    await eventually(async () => (await runtime.usage(ids.busy))!.timestampMs - first.timestampMs >= 3000, 10_000, '3 s of busy loop', 250);
    const last = (await runtime.usage(ids.busy))!;
    const counted = (last.cpuUsageNanoSeconds - first.cpuUsageNanoSeconds) / ((last.timestampMs - first.timestampMs) / 1000);
    const reported = (await pod('busy'))!.cpu.usageNanoCores!;
    const idle = (await pod('idle'))!.cpu.usageNanoCores!;
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    console.log(`stats: busy ${(reported / 1e6).toFixed(0)}m (its cgroup over 3 s: ${(counted / 1e6).toFixed(0)}m), idle ${(idle / 1e6).toFixed(1)}m, load average ${load}`);
    expect(reported / counted).toBeGreaterThan(0.85);
    expect(reported / counted).toBeLessThan(1.15);
    // One core at most (a single busy loop), and most of one unless the machine is busy elsewhere.
    expect(reported).toBeLessThan(1.1e9);
    expect(reported).toBeGreaterThan(Number(load) < 1.5 ? 0.9e9 : 0.3e9);
    expect(idle).toBeLessThan(20e6);
  });

  it('memory: the working set within 10% of the cgroup\'s own figure; 48 MiB held shows', async () => {
    await eventually(async () => ((await pod('holder'))?.memory.workingSetBytes ?? 0) > 48 * MiB, 20_000, 'the held 48 MiB in the working set', 200);
    await stats.sample();
    const reported = stats.summary().pods.find((p) => p.podRef.name === 'holder')!.memory;
    const kernel = cgroupMemory(ids.holder);
    console.log(`stats: holder working set ${(reported.workingSetBytes / MiB).toFixed(1)} MiB, its cgroup ${(kernel.workingSet / MiB).toFixed(1)} MiB; usage ${(reported.usageBytes / MiB).toFixed(1)} vs ${(kernel.usage / MiB).toFixed(1)} MiB`);
    expect(Math.abs(reported.workingSetBytes - kernel.workingSet) / kernel.workingSet).toBeLessThan(0.1);
    expect(Math.abs(reported.usageBytes - kernel.usage) / kernel.usage).toBeLessThan(0.1);
  });

  it('the minion\'s own CPU and memory from /proc', async () => {
    await eventually(async () => (await current()).node.cpu?.usageNanoCores !== undefined, 10_000, 'a node CPU rate', 200);
    const { node } = stats.summary();
    // At least the busy loop, at most every core.
    expect(node.cpu!.usageNanoCores!).toBeGreaterThan(0.3e9);
    expect(node.cpu!.usageNanoCores!).toBeLessThanOrEqual(cpus().length * 1.05e9);
    expect(node.memory!.workingSetBytes).toBeGreaterThan(0);
    expect(node.memory!.availableBytes).toBeGreaterThan(0);
  });
});
