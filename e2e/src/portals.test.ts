// Portal IPs end to end: `coxswain up --minions 3` (the LocalCluster launcher; every component a
// child process of the built binary) on the real Docker engine. 12 services all on port 6379, each
// selecting its own pod whose httpd answers with the service's name; a client pod pinned to each
// minion and the host itself send hundreds of requests through the portal IPs: not one may reach
// another service's pod. After the cluster stops, none of the proxies' nat rules is left.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiClient } from '@coxswain/client';
import { LocalCluster, minionLayout } from '@coxswain/coxswain';
import { eventually } from '@coxswain/testing';
import type { Endpoints, Pod, Service } from '@coxswain/objects';
import { hasPortalInterface, PORTAL_INTERFACE, routeDevice } from '@coxswain/proxy';
import { buildCoxswain, ROOT } from './support/coxswain-binary';
import { GuestbookClient } from './support/guestbook-client';
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
/** Whether the portal bridge was there before (a developer's cluster): `down` removes only a bridge its cluster made. */
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
  bridgeBefore = await hasPortalInterface();
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
  const left = leftovers.containers;
  // `coxswain down` stops the proxies: none of their rules may stay behind, nor the bridge it made.
  const rules = await natLines();
  const bridgeLeft = !bridgeBefore && (await hasPortalInterface());
  if (!left.length && !rules.length && !bridgeLeft) rmSync(tmp, { recursive: true, force: true });
  else console.log(`portals e2e: logs kept in ${path.join(tmp, 'data', 'logs')}`);
  expect({ containers: left, rules, bridgeLeft }).toEqual({ containers: [], rules: [], bridgeLeft: false });
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

// ---- the 2014 guestbook, verbatim --------------------------------------------------------------------

const GUESTBOOK_2014 = path.join(ROOT, 'examples', 'guestbook-2014');
const V1BETA1_PATHS: Record<string, string> = { Pod: 'pods', Service: 'services', ReplicationController: 'replicationControllers' };
const ROLE_ROUNDS = 50; // per service and client

/** One new connection to a Redis service: `INFO replication`, answered with the server's role line. */
function redisRole(host: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect({ host, port, timeout: timeoutMs }, () => socket.write('INFO replication\r\n'));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      const role = /^role:(\w+)/m.exec(answer);
      if (role) {
        socket.destroy();
        resolve(role[1]);
      }
    });
    socket.on('timeout', () => socket.destroy(new Error(`${host}:${port}: no INFO answer in ${timeoutMs} ms`)));
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`${host}:${port} closed before a role line: ${JSON.stringify(answer)}`)));
  });
}

describe('the 2014 guestbook as written (examples/guestbook-2014): redis-master and redisslave both on port 6379', () => {
  const frontendAt = (minion: string) => new GuestbookClient(`${MINIONS.find((m) => m.name === minion)!.address}:8000`);
  let frontends: Pod[] = [];

  it('runs verbatim: the master, 2 slaves and 3 frontends Running, each service on 6379 with a portal IP of its own', async () => {
    const v1beta1 = new ApiClient({ server: cluster!.apiUrl, version: 'v1beta1', timeoutMs: 10_000 });
    for (const file of readdirSync(GUESTBOOK_2014).filter((f) => f.endsWith('.json')).sort()) {
      const manifest = JSON.parse(readFileSync(path.join(GUESTBOOK_2014, file), 'utf8')) as { kind: string };
      await v1beta1.create(V1BETA1_PATHS[manifest.kind], manifest);
    }
    const running = (selector: string, count: number) =>
      eventually(
        async () => {
          const ps = (await api.list<Pod>('pods', { labelSelector: selector })).items;
          return ps.length === count && ps.every((p) => p.status?.phase === 'Running') && ps;
        },
        150_000,
        `${count} pods ${selector} Running`,
        500,
      );
    await running('name=redis-master', 1);
    await running('name=redisslave', 2);
    frontends = await running('name=frontend', 3);
    expect(new Set(frontends.map((p) => p.spec.nodeName)).size).toBe(3);
    // The label value with a comma, as the template wrote it.
    expect(frontends[0].metadata.labels).toMatchObject({ name: 'frontend', uses: 'redisslave,redis-master' });

    const master = await api.get<Service>('services', 'redis-master');
    const slave = await api.get<Service>('services', 'redisslave');
    expect([master.spec.ports![0].port, slave.spec.ports![0].port]).toEqual([6379, 6379]);
    expect(master.spec.clusterIP).not.toBe(slave.spec.clusterIP);
    expect([...portalIPs.values()]).not.toContain(master.spec.clusterIP);
    expect([...portalIPs.values()]).not.toContain(slave.spec.clusterIP);
  });

  it('a message posted through the frontend on minion-1 (written to the master service) is read back on every minion (read from the slave service)', async () => {
    const message = 'hello from autumn 2014';
    await eventually(async () => (await frontendAt('minion-1').post(message).then(() => true)), 60_000, 'the frontend on minion-1 takes a message', 500);
    for (const m of MINIONS) {
      await eventually(
        async () => JSON.stringify((await frontendAt(m.name).read()).messages) === JSON.stringify([message]),
        60_000,
        `the frontend on ${m.name} reads the message back through the slaves`,
        500,
      );
    }
  });

  it(`each Redis service reaches only its own pods: ${ROLE_ROUNDS} connections each from the host and from the frontend on every minion, zero misroutes`, async () => {
    const master = (await api.get<Service>('services', 'redis-master')).spec.clusterIP!;
    const slave = (await api.get<Service>('services', 'redisslave')).spec.clusterIP!;
    const fromHost: string[] = [];
    for (let i = 0; i < ROLE_ROUNDS; i++) fromHost.push(`master=${await redisRole(master, 6379)}`, `slave=${await redisRole(slave, 6379)}`);
    const wrong = (lines: string[]) => lines.filter((l) => l !== 'master=master' && l !== 'slave=slave');
    expect({ answered: fromHost.length, misroutes: wrong(fromHost) }).toEqual({ answered: 2 * ROLE_ROUNDS, misroutes: [] });

    // The frontends find both services through the 2014 variables, as guestbook.php does.
    const role = (service: string) => `$(redis-cli -h $${service}_SERVICE_HOST -p $${service}_SERVICE_PORT info replication | sed -n 's/^role:\\([a-z]*\\).*/\\1/p')`;
    const loop = `for i in $(seq ${ROLE_ROUNDS}); do echo master=${role('REDIS_MASTER')}; echo slave=${role('REDISSLAVE')}; done`;
    // The three frontends' loops at once (each a redis-cli process per connection: most of this test's time).
    const answers = await Promise.all(
      frontends.map(async (pod) => {
        const [id] = (await run('docker', ['ps', '-q', '--filter', `label=coxswain.pod.name=${pod.metadata.name}`, '--filter', 'label=coxswain.container.name=php-redis'])).split('\n').filter(Boolean);
        const lines = (await run('docker', ['exec', id, 'sh', '-c', loop], 120_000)).split('\n').filter(Boolean);
        return { minion: pod.spec.nodeName, answered: lines.length, misroutes: wrong(lines) };
      }),
    );
    expect(answers).toEqual(frontends.map((pod) => ({ minion: pod.spec.nodeName, answered: 2 * ROLE_ROUNDS, misroutes: [] })));
  });
});
