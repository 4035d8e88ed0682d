// `npm run bench -- hosts [--mb N]`: pod-to-pod throughput across two simulated hosts (network
// namespaces with a dockerd each, @coxswain/testing's SimHosts) next to pod-to-pod on one host, in
// the same run (goal: cross-host >= 0.9x same-host). The pod network is the one Coxswain builds: a
// Docker network per host on its minion's pod subnet, and the proxy's pod routes agent (routes,
// NAT and forward chains) run for each host. The transfer is busybox nc (the local image), N MB of
// zeros; a round's time is the client's, from its start until the server has counted every byte.
// nc's small reads make the figures CPU-bound well below the links' capacity: the ratio compares
// the two paths at the same cost per byte.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EventRecorder, Informer } from '@coxswain/client';
import type { Minion } from '@coxswain/objects';
import { createLogger } from '@coxswain/process';
import { PodRoutes } from '@coxswain/proxy';
import { eventually, memoryRegistry, SimHosts, type SimHost } from '@coxswain/testing';
import { countFlag } from './count-flag';
import { FigureTable } from './figure-table';

const run = promisify(execFile);
const IMAGE = 'coxswain/busybox';
const GOAL = 0.9;
const ROUNDS = 3;
const TRANSFER_TIMEOUT_MS = 120_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const subnetOf = (h: SimHost) => `10.216.${h.index}.0/24`;

export async function hostsBench(argv: string[]): Promise<void> {
  const mb = countFlag(argv, '--mb', argv.includes('--quick') ? 50 : 300);
  const sim = await SimHosts.start(2, [IMAGE]);
  const store = memoryRegistry();
  const minions = new Informer<Minion>({ store, resource: 'minions' });
  const agents: PodRoutes[] = [];
  try {
    const [h1, h2] = sim.hosts;
    const docker = (h: SimHost, ...args: string[]) => run('docker', ['-H', h.dockerEndpoint, ...args], { maxBuffer: 1 << 24 }).then((r) => r.stdout.trim());
    for (const h of sim.hosts) {
      await docker(h, 'network', 'create', '--subnet', subnetOf(h), 'cxbench');
      await store.create<Minion>({ apiVersion: 'v1', kind: 'Minion', metadata: { name: `host-${h.index}` }, spec: { podCIDR: subnetOf(h) }, status: { addresses: [{ type: 'InternalIP', address: h.address }] } });
    }
    minions.start();
    await minions.waitForSync();
    const logger = createLogger('hosts-bench');
    for (const h of sim.hosts) {
      const exec = (file: string, args: readonly string[], input?: string) => sim.exec(h, [file, ...args], 30_000, input);
      const agent = new PodRoutes({ minion: `host-${h.index}`, clusterCidr: '10.216.0.0/16', minions, store, recorder: new EventRecorder({ store, component: 'bench' }), exec, logger });
      agents.push(agent);
      await agent.sync();
    }
    const start = (h: SimHost, name: string) => docker(h, 'run', '-d', '--name', name, '--network', 'cxbench', IMAGE, 'sleep', '3600');
    await start(h1, 'server');
    await start(h1, 'near');
    await start(h2, 'far');
    const serverIP = await docker(h1, 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'server');

    /** One transfer of `mb` MB from `client` on host `h` to the server; MB/s. */
    const transfer = async (h: SimHost, client: string): Promise<number> => {
      // The server's nc gets a stdin that never ends (busybox nc quits at stdin's end); wc writes the count once nc has seen the end.
      await docker(h1, 'exec', '-d', 'server', 'sh', '-c', 'rm -f /tmp/n; sleep 599 | nc -l -p 9000 | wc -c > /tmp/n');
      // Until the server listens, the client's connection is refused at once: try again.
      let t0 = performance.now();
      await eventually(
        () => {
          t0 = performance.now();
          return docker(h, 'exec', client, 'sh', '-c', `dd if=/dev/zero bs=64k count=${mb * 16} 2>/dev/null | nc ${serverIP} 9000`).then(() => true, () => false);
        },
        TRANSFER_TIMEOUT_MS,
        `the server listening for ${client}`,
      );
      await eventually(() => docker(h1, 'exec', 'server', 'cat', '/tmp/n').then((n) => Number(n) === mb * 1024 * 1024, () => false), TRANSFER_TIMEOUT_MS, `the server counting ${mb} MB`);
      const seconds = (performance.now() - t0) / 1000;
      await docker(h1, 'exec', 'server', 'pkill', '-f', 'sleep 599').catch(() => undefined);
      return mb / seconds;
    };
    const same: number[] = [];
    const cross: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      same.push(await transfer(h1, 'near'));
      cross.push(await transfer(h2, 'far'));
    }
    const table = new FigureTable();
    table.atLeast('pod network', `pod-to-pod across hosts (${mb} MB, median of ${ROUNDS})`, median(cross), 'MB/s', GOAL * median(same), {
      label: `${GOAL} x same-host pod-to-pod (${median(same).toFixed(1)} MB/s)`,
      value: GOAL * median(same),
    });
    console.log(`same host: ${same.map((v) => v.toFixed(1)).join(', ')} MB/s; across hosts: ${cross.map((v) => v.toFixed(1)).join(', ')} MB/s`);
    console.log(`cross-host / same-host: ${(median(cross) / median(same)).toFixed(2)} (goal >= ${GOAL})`);
    console.log(table.markdown());
  } finally {
    for (const a of agents) await a.stop().catch(() => undefined);
    await minions.stop();
    await sim.stop();
  }
}

