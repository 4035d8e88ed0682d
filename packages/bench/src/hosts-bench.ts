// `npm run bench -- hosts [--mb N]`: pod-to-pod throughput across two simulated hosts (network
// namespaces with a dockerd each, @coxswain/testing's SimHosts) next to pod-to-pod on one host, in
// the same run (goal: cross-host >= 0.9x same-host). The pod network is the one Coxswain builds: a
// Docker network per host on its minion's pod subnet, and the proxy's pod routes agent (routes,
// NAT and forward chains) run for each host. Each transfer is N MiB of zeros between two pods'
// network namespaces by tcp-transfer-process.js (entered with nsenter; the pods are busybox
// containers holding the namespaces), timed by the receiver from the first byte to the last.
import { execFile, spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { EventRecorder, Informer } from '@coxswain/client';
import type { Minion } from '@coxswain/objects';
import { createLogger } from '@coxswain/process';
import { PodRoutes } from '@coxswain/proxy';
import { memoryRegistry, SimHosts, type SimHost } from '@coxswain/testing';
import { countFlag } from './count-flag';
import { FigureTable } from './figure-table';

const run = promisify(execFile);
const IMAGE = 'coxswain/busybox';
const GOAL = 0.9;
const ROUNDS = 7;
const TRANSFER_TIMEOUT_MS = 120_000;
const PORT = 9000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const subnetOf = (h: SimHost) => `10.216.${h.index}.0/24`;

export async function hostsBench(argv: string[]): Promise<void> {
  const mb = countFlag(argv, '--mb', argv.includes('--quick') ? 200 : 2000);
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

    /** nsenter's flag for a container's network namespace, by its pid. */
    const netOf = async (h: SimHost, container: string) => `--net=/proc/${await docker(h, 'inspect', '-f', '{{.State.Pid}}', container)}/ns/net`;
    const [serverNet, nearNet, farNet] = await Promise.all([netOf(h1, 'server'), netOf(h1, 'near'), netOf(h2, 'far')]);
    const tool = path.join(__dirname, 'tcp-transfer-process.js');

    /** One transfer of `mb` MiB from the client pod whose namespace is `clientNet` to the server; MiB/s as the receiver timed it. */
    const transfer = async (clientNet: string): Promise<number> => {
      const receiver = spawn('nsenter', [serverNet, process.execPath, tool, 'receive', String(PORT)], { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const lines = createInterface({ input: receiver.stdout! });
        const said = lines[Symbol.asyncIterator]();
        const stderr: Buffer[] = [];
        receiver.stderr!.on('data', (b: Buffer) => stderr.push(b));
        const line = async () => (await said.next()).value ?? Promise.reject(new Error(`the receiver ended: ${Buffer.concat(stderr).toString().trim()}`));
        if ((await line()) !== 'listening') throw new Error('the receiver did not listen');
        await run('nsenter', [clientNet, process.execPath, tool, 'send', serverIP, String(PORT), String(mb)], { timeout: TRANSFER_TIMEOUT_MS });
        const { bytes, seconds } = JSON.parse(await line()) as { bytes: number; seconds: number };
        if (bytes !== mb * 2 ** 20) throw new Error(`the receiver counted ${bytes} bytes of ${mb * 2 ** 20}`);
        return bytes / 2 ** 20 / seconds;
      } finally {
        receiver.kill();
      }
    };
    const same: number[] = [];
    const cross: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      same.push(await transfer(nearNet));
      cross.push(await transfer(farNet));
    }
    const table = new FigureTable();
    table.atLeast('pod network', `pod-to-pod across hosts (${mb} MiB, median of ${ROUNDS})`, median(cross), 'MiB/s', GOAL * median(same), {
      label: `${GOAL} x same-host pod-to-pod (${median(same).toFixed(1)} MiB/s)`,
      value: GOAL * median(same),
    });
    console.log(`same host: ${same.map((v) => v.toFixed(1)).join(', ')} MiB/s; across hosts: ${cross.map((v) => v.toFixed(1)).join(', ')} MiB/s`);
    console.log(`cross-host / same-host: ${(median(cross) / median(same)).toFixed(2)} (goal >= ${GOAL})`);
    console.log(table.markdown());
  } finally {
    for (const a of agents) await a.stop().catch(() => undefined);
    await minions.stop();
    await sim.stop();
  }
}

