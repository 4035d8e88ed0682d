// Portal IPs end to end: `coxswain up --minions 3` (the LocalCluster launcher; every component a
// child process of the built binary) on the real Docker engine. 12 services all on port 6379, each
// selecting its own pod whose httpd answers with the service's name; a client pod pinned to each
// minion and the host itself send hundreds of requests through the portal IPs: not one may reach
// another service's pod. After the cluster stops, none of the proxies' nat rules is left.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiClient } from '@coxswain/client';
import { LocalCluster, minionLayout } from '@coxswain/coxswain';
import { eventually } from '@coxswain/testing';
import type { Endpoints, Pod, Service } from '@coxswain/objects';
import { PORTAL_INTERFACE, removePortalRoute, routeDevice } from '@coxswain/proxy';
import { buildCoxswain } from './support/coxswain-binary';
import { httpGet } from './support/http-get';
import { ensureImages, IMAGES } from './support/images';
import { lockLocalMinions } from './support/local-minions-lock';
import { refuseMinionLeftovers, stopClusterAndListLeftovers } from './support/cluster-teardown';

jest.setTimeout(180_000);

const MINIONS = [1, 2, 3].map(minionLayout);
const SERVICES = Array.from({ length: 12 }, (_, i) => `portal-${i + 1}`);
const ROUNDS = 10; // per client: 10 x 12 = 120 requests

let tmp: string;
let cluster: LocalCluster | undefined;
let api: ApiClient;
let unlock: (() => void) | undefined;
const portalIPs = new Map<string, string>();
/** Whether the portal bridge was there before (a developer's cluster): only a bridge this test caused is removed. */
let bridgeBefore = true;

function run(file: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout))),
  );
}
const natLines = async () => (await run('/usr/sbin/iptables-save', ['-t', 'nat'])).split('\n').filter((l) => MINIONS.some((m) => l.includes(`COXSWAIN-PORTALS-${m.name}`)));

beforeAll(async () => {
  unlock = await lockLocalMinions();
  await Promise.all([ensureImages(), buildCoxswain()]);
  await refuseMinionLeftovers(MINIONS.map((m) => m.name));
  bridgeBefore = await run('ip', ['-o', 'link', 'show', 'dev', PORTAL_INTERFACE]).then(() => true, () => false);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'coxswain-portals-'));
  cluster = new LocalCluster({
    minions: 3,
    port: 18390,
    dataDir: path.join(tmp, 'data'),
    etcdPort: 12589,
    runtime: 'docker',
    cliConfigPath: path.join(tmp, 'config.json'),
    healthzPortBase: 18361,
    env: { JEST_WORKER_ID: '', COXSWAIN_LOG_LEVEL: 'info' },
  });
  await cluster.start();
  api = new ApiClient({ server: cluster.apiUrl, version: 'v1', timeoutMs: 10_000 });
  await eventually(async () => (await api.list('minions')).items.length === 3, 30_000, '3 minions registered', 250);
}, 11 * 60_000);

afterAll(async () => {
  const leftovers = await stopClusterAndListLeftovers(cluster, unlock, MINIONS.map((m) => m.name));
  if (!leftovers) return;
  // The proxies leave the portal route for the next cluster; the test removes what it caused.
  if (!bridgeBefore) await removePortalRoute();
  const left = leftovers.containers;
  // `coxswain down` stops the proxies: none of their rules may stay behind.
  const rules = await natLines();
  if (!left.length && !rules.length) rmSync(tmp, { recursive: true, force: true });
  else console.log(`portals e2e: logs kept in ${path.join(tmp, 'data', 'logs')}`);
  expect({ containers: left, rules }).toEqual({ containers: [], rules: [] });
});

it('gives 12 services on port 6379 12 different portal IPs, routed to the portal bridge', async () => {
  for (const name of SERVICES) {
    const svc = await api.create<Service>('services', { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 6379 }], selector: { name } } });
    portalIPs.set(name, svc.spec.clusterIP!);
  }
  expect(new Set(portalIPs.values()).size).toBe(12);
  expect(await routeDevice([...portalIPs.values()][0])).toBe(PORTAL_INTERFACE);
  // Every proxy hooked its chain once, from its own pod network.
  const lines = await natLines();
  for (const m of MINIONS) expect(lines.filter((l) => l === `-A PREROUTING -s ${m.podCIDR} -j COXSWAIN-PORTALS-${m.name}`)).toHaveLength(1);
});

it('starts a pod per service answering with its service name, and a client pod on each minion', async () => {
  for (const name of SERVICES) {
    const script = `mkdir -p /tmp/www && echo ${name} > /tmp/www/index.html && exec httpd -f -p 6379 -h /tmp/www`;
    await api.create<Pod>('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-backend`, namespace: 'default', labels: { name } },
      spec: { containers: [{ name: 'web', image: IMAGES.busybox, command: ['sh', '-c', script], ports: [{ containerPort: 6379 }] }] },
    });
  }
  for (const m of MINIONS) {
    await api.create<Pod>('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `client-${m.name}`, namespace: 'default', labels: { role: 'client' } },
      spec: { nodeName: m.name, containers: [{ name: 'main', image: IMAGES.busybox, command: ['sleep', '3600'] }] },
    });
  }
  await eventually(
    async () => (await api.list<Pod>('pods')).items.filter((p) => p.status?.phase === 'Running').length === 15,
    150_000,
    '15 pods Running',
    500,
  );
  await eventually(
    async () => {
      const eps = (await api.list<Endpoints>('endpoints')).items.filter((e) => SERVICES.includes(e.metadata.name));
      return eps.length === 12 && eps.every((e) => e.subsets?.[0]?.addresses?.length === 1);
    },
    60_000,
    'every service has its endpoint',
    500,
  );
});

it('from the host: 240 requests through the portal IPs, zero misroutes', async () => {
  const misroutes: string[] = [];
  let answered = 0;
  await eventually(async () => (await httpGet(`http://${portalIPs.get(SERVICES[11])}:6379/`)).body.trim() === SERVICES[11], 30_000, 'the last service answers', 250);
  for (let round = 0; round < 20; round++) {
    for (const name of SERVICES) {
      const r = await httpGet(`http://${portalIPs.get(name)}:6379/`);
      answered++;
      if (r.body.trim() !== name) misroutes.push(`${name} answered by ${r.body.trim()}`);
    }
  }
  expect({ answered, misroutes }).toEqual({ answered: 240, misroutes: [] });
});

it('from a pod on each minion, through $NAME_SERVICE_HOST: 120 requests each, zero misroutes', async () => {
  const vars = SERVICES.map((s) => s.toUpperCase().replace(/-/g, '_'));
  const loop = `for i in $(seq ${ROUNDS}); do ${SERVICES.map((s, j) => `echo ${s}=$(wget -q -O - http://$${vars[j]}_SERVICE_HOST:$${vars[j]}_SERVICE_PORT/)`).join('; ')}; done`;
  for (const m of MINIONS) {
    const [id] = (await run('docker', ['ps', '-q', '--filter', `label=coxswain.pod.name=client-${m.name}`, '--filter', 'label=coxswain.container.name=main'])).split('\n').filter(Boolean);
    const env = await run('docker', ['exec', id, 'sh', '-c', `echo $${vars[0]}_SERVICE_HOST:$${vars[0]}_SERVICE_PORT`]);
    expect(env.trim()).toBe(`${portalIPs.get(SERVICES[0])}:6379`);
    const lines = (await run('docker', ['exec', id, 'sh', '-c', loop], 120_000)).split('\n').filter(Boolean);
    const misroutes = lines.filter((l) => l.split('=')[0] !== l.split('=')[1]);
    expect({ minion: m.name, answered: lines.length, misroutes }).toEqual({ minion: m.name, answered: SERVICES.length * ROUNDS, misroutes: [] });
  }
});

it('a proxy killed with SIGKILL and restarted by the launcher rewrites its rules: none stale, none doubled, zero misroutes', async () => {
  const proxy = cluster!.component('proxy-1')!;
  const before = proxy.pid!;
  const chainRules = async () => (await natLines()).filter((l) => l.startsWith('-A COXSWAIN-PORTALS-minion-1 '));
  const oldTargets = (await chainRules()).map((l) => /--to-destination (\S+)/.exec(l)![1]).sort();
  expect(oldTargets).toHaveLength(12);
  process.kill(before, 'SIGKILL');
  // The restarted proxy listens on new ports: its chain must point at them only.
  await eventually(
    async () => {
      if (!proxy.pid || proxy.pid === before) return false;
      const targets = (await chainRules()).map((l) => /--to-destination (\S+)/.exec(l)![1]);
      return targets.length === 12 && targets.every((t) => !oldTargets.includes(t));
    },
    60_000,
    'the restarted proxy-1 rewrote its chain',
    250,
  );
  const lines = await natLines();
  expect(lines.filter((l) => l.startsWith('-A PREROUTING') && l.includes('COXSWAIN-PORTALS-minion-1'))).toHaveLength(1);
  expect(lines.filter((l) => l === '-A OUTPUT -j COXSWAIN-PORTALS-minion-1')).toHaveLength(1);
  expect(new Set(await chainRules()).size).toBe(12);
  // A pod on minion-1 still reaches every service's own pod.
  const [id] = (await run('docker', ['ps', '-q', '--filter', 'label=coxswain.pod.name=client-minion-1', '--filter', 'label=coxswain.container.name=main'])).split('\n').filter(Boolean);
  const vars = SERVICES.map((s) => s.toUpperCase().replace(/-/g, '_'));
  const once = SERVICES.map((s, j) => `echo ${s}=$(wget -q -O - http://$${vars[j]}_SERVICE_HOST:$${vars[j]}_SERVICE_PORT/)`).join('; ');
  const answers = (await run('docker', ['exec', id, 'sh', '-c', once])).split('\n').filter(Boolean);
  expect(answers.filter((l) => l.split('=')[0] !== l.split('=')[1])).toEqual([]);
  expect(answers).toHaveLength(12);
});
