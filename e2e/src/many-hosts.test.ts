// Many machines for real, on three simulated hosts (support/netns-hosts.ts: a network namespace and
// a Docker engine each, joined by a bridge). Host 1 runs `coxswain up --advertise-address`; hosts
// 2 and 3 run the `coxswain join` command it prints. What an operator would check: a wrong token
// is refused and registers nothing; each host routes exactly the other minions' pod subnets; the
// seed's guestbook (both Redis services on port 6379, behind portal IPs) spread over the hosts
// answers through every host's frontend, a message written on one read back on the others; a pod
// reaches a pod on another host by its IP and is seen with its own source IP; an image pushed to
// the cluster registry on host 1 runs on hosts 2 and 3 (no save/load for it); `coxswain leave`
// drains a host and every other host drops its route to it within 10 s. A host that dies has its
// pods recreated elsewhere after the eviction timeout, and comes back with its pod subnet.
// etcd is a cluster of three, a member on each host (`join --etcd-member`), over TLS with client
// certificates: the dead host's member is lost and writes go on; back, it has caught up; leaving
// removes it.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ApiClient } from '@coxswain/client';
import type { Minion, Pod } from '@coxswain/objects';
import { EtcdCredentials, type EtcdTLS } from '@coxswain/process';
import { createEtcdClient, etcdMembers } from '@coxswain/store';
import { eventually, SimHosts, simHostLeftovers, type SimHost } from '@coxswain/testing';
import { buildCoxswain, COXSWAIN_MAIN } from './support/coxswain-binary';
import { GuestbookClient } from './support/guestbook-client';
import { ensureImages, IMAGES } from './support/images';
import { GUESTBOOK_IMAGES } from './support/seed-manifests';

jest.setTimeout(10 * 60_000);

let sim: SimHosts | undefined;
let hosts: SimHost[];
let api: ApiClient;
let server: string;
let joinToken: string;
let adminToken: string;
/** A client certificate of `up`'s etcd CA, and host 1's member: what the tests read etcd with. */
let etcdTLS: EtcdTLS;
let etcd1: string;
const memberNames = async () => (await etcdMembers([etcd1], etcdTLS)).map((m) => m.name).sort();

/** The last lines of a log under a host's directory, or why there are none. */
function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Rethrows `e` with what the cluster looked like: endpoints, pods, minions' Ready, and each host's proxy, kubelet, etcd and join log tails. */
async function withDiagnostics(e: Error): Promise<never> {
  const state = await Promise.all([api.list<{ metadata: { name: string }; subsets?: unknown }>('endpoints', { namespace: 'default' }), api.list<Pod>('pods', { namespace: 'default' }), api.list<Minion>('minions')]).then(
    ([eps, pods, minions]) =>
      `endpoints: ${JSON.stringify(eps.items.map((x) => [x.metadata.name, x.subsets]))}\npods: ${pods.items.map((p) => `${p.metadata.name}@${p.spec.nodeName}:${p.status?.phase}:${p.status?.podIP}`).join(' ')}\n` +
      `minions: ${JSON.stringify(minions.items.map((m) => [m.metadata.name, m.status?.conditions?.find((c) => c.type === 'Ready')]))}`,
    (err: Error) => `(the API could not list: ${err.message})`,
  );
  const logs = hosts.map((h) => {
    const dir = h.index === 1 ? path.join(h.dir, 'up', 'logs') : path.join(h.dir, 'join', 'logs');
    const kubelet = h.index === 1 ? 'kubelet-1.log' : 'kubelet.log';
    return `host ${h.index} proxy: ${tail(path.join(dir, h.index === 1 ? 'proxy-1.log' : 'proxy.log'))}\nhost ${h.index} kubelet: ${tail(path.join(dir, kubelet), 15)}\nhost ${h.index} etcd: ${tail(path.join(dir, 'etcd.log'))}\nhost ${h.index} join: ${tail(path.join(h.dir, 'join.log'))}\n${tail(path.join(dir, 'join.log'), 15)}`;
  });
  throw new Error(`${e.message}\n${state}\n${logs.join('\n')}`);
}

const coxswain = (...args: string[]) => [process.execPath, COXSWAIN_MAIN, ...args];
const routesOn = async (h: SimHost) => (await sim!.exec(h, ['ip', '-o', 'route', 'show', 'proto', '99'])).split('\n').filter(Boolean).map((l) => l.split(' ').slice(0, 3).join(' '));

function join(h: SimHost, token: string): ReturnType<SimHosts['spawn']> {
  const dir = path.join(h.dir, 'join');
  mkdirSync(dir, { recursive: true });
  return sim!.spawn(h, 'join', coxswain('join', '--server', server, '--token', token, '--address', h.address, '--minion', `host-${h.index}`, '--docker-endpoint', h.dockerEndpoint, '--data-dir', dir, '--etcd-member'));
}

beforeAll(async () => {
  await Promise.all([ensureImages(), buildCoxswain()]);
  sim = await SimHosts.start(3, [IMAGES.pause, IMAGES.busybox, ...Object.keys(GUESTBOOK_IMAGES), ...Object.values(GUESTBOOK_IMAGES)]);
  hosts = sim.hosts;
  const [h1] = hosts;
  const upDir = path.join(h1.dir, 'up');
  sim.spawn(h1, 'up', coxswain('up', '--advertise-address', h1.address, '--minion-name', 'host-1', '--data-dir', upDir, '--docker-endpoint', h1.dockerEndpoint, '--no-images', '--minion-grace-period', '20s', '--pod-eviction-timeout', '10s'), {
    COXSWAIN_CONFIG: path.join(h1.dir, 'config.json'),
  });
  server = `http://${h1.address}:8080`;
  const tokens = () => readFileSync(path.join(upDir, 'tokens.csv'), 'utf8').split('\n').map((l) => l.split(','));
  await eventually(() => readFileSync(path.join(h1.dir, 'up.log'), 'utf8').includes('coxswain join --server'), 180_000, 'coxswain up to print the join command', 500).catch((e: Error) => {
    throw new Error(`${e.message}\n${readFileSync(path.join(h1.dir, 'up.log'), 'utf8').slice(-3000)}`);
  });
  joinToken = tokens().find(([, user]) => user === 'system:bootstrap:join')![0];
  adminToken = tokens().find(([, user]) => user === 'admin')![0];
  api = new ApiClient({ server, version: 'v1', token: adminToken, timeoutMs: 10_000 });
  etcdTLS = new EtcdCredentials(path.join(upDir, 'pki')).client('apiserver');
  etcd1 = `https://${h1.address}:2379`;
}, 12 * 60_000);

afterAll(async () => {
  await sim?.stop();
  expect(simHostLeftovers()).toEqual([]);
}, 5 * 60_000);

it('refuses a join with a wrong token, registering nothing', async () => {
  const out = await sim!.exec(hosts[2], [...coxswain('join', '--server', server, '--token', 'not-the-token', '--address', hosts[2].address, '--minion', 'host-3', '--data-dir', path.join(hosts[2].dir, 'bad'))]).then(
    () => 'exit 0',
    (e: Error) => e.message,
  );
  expect(out).toContain(`coxswain join: the API server at ${server} refused the join token (401): invalid bearer token`);
  expect((await api.list<Minion>('minions')).items.map((m) => m.metadata.name)).toEqual(['host-1']);
});

it('joins two hosts; each host routes exactly the other minions\' pod subnets', async () => {
  join(hosts[1], joinToken);
  join(hosts[2], joinToken);
  await eventually(async () => (await api.list<Minion>('minions')).items.filter((m) => m.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 3, 180_000, '3 Ready minions', 500).catch(withDiagnostics);
  // Each joined host runs a member of the cluster's etcd.
  expect(await memberNames()).toEqual(['host-1', 'host-2', 'host-3']);
  const minions = (await api.list<Minion>('minions')).items;
  const cidrOf = new Map(minions.map((m) => [m.metadata.name, m.spec!.podCIDR!]));
  expect(new Set(cidrOf.values()).size).toBe(3);
  for (const h of hosts) {
    const want = hosts.filter((o) => o !== h).map((o) => `${cidrOf.get(`host-${o.index}`)} via ${o.address}`).sort();
    await eventually(async () => JSON.stringify((await routesOn(h)).sort()) === JSON.stringify(want), 30_000, `routes on host ${h.index}`, 250);
  }
});

it('runs the guestbook over three hosts: a message written through one frontend is read through the others', async () => {
  const v1beta1 = new ApiClient({ server, version: 'v1beta1', token: adminToken, timeoutMs: 10_000 });
  for (const [id, selector] of [['redismaster', 'redis-master'], ['redisslave', 'redisslave']]) {
    await v1beta1.create('services', { id, kind: 'Service', apiVersion: 'v1beta1', port: 6379, containerPort: 6379, selector: { name: selector } } as never);
  }
  const rc = (id: string, replicas: number, image: string, port: { containerPort: number; hostPort?: number }) => ({
    id, kind: 'ReplicationController', apiVersion: 'v1beta1', labels: { name: id },
    desiredState: { replicas, replicaSelector: { name: id }, podTemplate: { labels: { name: id }, desiredState: { manifest: { version: 'v1beta1', id, containers: [{ name: id, image, ports: [port] }] } } } },
  });
  // The master as a controller of one (the seed's is a bare pod): it must come back if its host dies.
  await v1beta1.create('replicationControllers', rc('redis-master', 1, 'dockerfile/redis', { containerPort: 6379 }) as never);
  await v1beta1.create('replicationControllers', rc('redisslave', 2, 'brendanburns/redis-slave', { containerPort: 6379 }) as never);
  await v1beta1.create('replicationControllers', rc('frontend', 3, 'brendanburns/php-redis', { containerPort: 80, hostPort: 8000 }) as never);
  const running = async () => (await api.list<Pod>('pods', { namespace: 'default' })).items.filter((p) => p.status?.phase === 'Running');
  await eventually(async () => (await running()).length === 6, 240_000, '6 guestbook pods Running', 1000);
  const frontendHosts = new Set((await running()).filter((p) => p.metadata.labels?.name === 'frontend').map((p) => p.spec.nodeName));
  expect(frontendHosts).toEqual(new Set(['host-1', 'host-2', 'host-3']));
  const clients = hosts.map((h) => new GuestbookClient(`${h.address}:8000`));
  await eventually(() => clients[0].post('written on host 1').then(() => true), 60_000, 'a message posted through host 1', 500);
  for (const c of clients.slice(1)) {
    await eventually(async () => (await c.read()).messages.includes('written on host 1'), 60_000, `the message read through ${c.hostPort}`, 500);
  }
});

it('a pod reaches a pod on another host by its pod IP and sees its real source IP', async () => {
  const pinned = (name: string, minion: string, command: string[]): Pod => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: name } },
    spec: { nodeName: minion, containers: [{ name, image: IMAGES.busybox, command }] },
  });
  // On host 3, a CGI that answers with the address each request came from.
  const cgi = 'mkdir -p /www/cgi-bin && printf "#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho \\$REMOTE_ADDR\\n" > /www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 9000 -h /www';
  await api.create('pods', pinned('echo-source', 'host-3', ['sh', '-c', cgi]));
  await api.create('pods', pinned('caller', 'host-1', ['sleep', '100000']));
  const ipOf = async (name: string) => (await api.get<Pod>('pods', name, { namespace: 'default' })).status?.podIP;
  await eventually(async () => !!(await ipOf('echo-source')) && !!(await ipOf('caller')), 120_000, 'both pods with IPs', 500);
  const [target, caller] = [(await ipOf('echo-source'))!, (await ipOf('caller'))!];
  const callerContainer = (await sim!.exec(hosts[0], ['docker', '-H', hosts[0].dockerEndpoint, 'ps', '-q', '--filter', 'label=coxswain.pod.name=caller', '--filter', 'label=coxswain.container.name=caller'])).trim();
  const seen = await eventually(
    // busybox's wget crashes in this image: the request by hand through nc.
    () => sim!.exec(hosts[0], ['docker', '-H', hosts[0].dockerEndpoint, 'exec', callerContainer, 'sh', '-c', `printf 'GET /cgi-bin/ip HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${target} 9000`]).catch(() => ''),
    60_000,
    `host 1's pod reaching ${target}:9000 on host 3`,
    500,
  );
  // httpd names an IPv4 peer as [::ffff:a.b.c.d].
  expect(seen.trim().split('\n').pop()).toBe(`[::ffff:${caller}]`);
});

it('an image built on host 1 and pushed to the cluster registry runs on hosts 2 and 3', async () => {
  const [h1, h2, h3] = hosts;
  const image = `${h1.address}:5000/hello:v1`;
  const dockerfile = `FROM ${IMAGES.busybox}\nCMD ["sh", "-c", "echo hello from the cluster registry; sleep 3600"]\n`;
  await sim!.exec(h1, ['sh', '-c', `printf '%s' '${dockerfile}' | docker -H ${h1.dockerEndpoint} build -q -t ${image} -`], 120_000);
  await sim!.exec(h1, ['docker', '-H', h1.dockerEndpoint, 'push', image], 120_000);
  for (const h of [h2, h3]) {
    expect(await sim!.exec(h, ['docker', '-H', h.dockerEndpoint, 'images', '-q', image])).toBe('');
    await api.create('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `hello-${h.index}`, namespace: 'default' }, spec: { nodeName: `host-${h.index}`, containers: [{ name: 'hello', image }] } });
  }
  for (const h of [h2, h3]) {
    await eventually(async () => (await api.get<Pod>('pods', `hello-${h.index}`, { namespace: 'default' })).status?.phase === 'Running', 120_000, `hello-${h.index} Running`, 500);
    const id = (await sim!.exec(h, ['docker', '-H', h.dockerEndpoint, 'ps', '-q', '--filter', `label=coxswain.pod.name=hello-${h.index}`, '--filter', 'label=coxswain.container.name=hello'])).trim();
    expect(await sim!.exec(h, ['docker', '-H', h.dockerEndpoint, 'logs', id])).toContain('hello from the cluster registry');
  }
  for (const h of [h2, h3]) await api.delete('pods', `hello-${h.index}`, { namespace: 'default' });
});

/** The host (2 or 3) that dies in the next test, and the one that leaves after it. */
let victim: SimHost;
let leaver: SimHost;

it('a host that dies: its pods come back on the others after the eviction timeout; back, it rejoins with its pod subnet', async () => {
  // The dying host is one that holds a Redis pod (never host 1: it runs the control plane).
  const pods = (await api.list<Pod>('pods', { namespace: 'default' })).items;
  const redisOn = (h: SimHost) => pods.filter((p) => p.spec.nodeName === `host-${h.index}` && String(p.metadata.labels?.name).startsWith('redis'));
  victim = redisOn(hosts[2]).length > redisOn(hosts[1]).length ? hosts[2] : hosts[1];
  leaver = victim === hosts[1] ? hosts[2] : hosts[1];
  const name = `host-${victim.index}`;
  const cidr = (await api.get<Minion>('minions', name)).spec!.podCIDR!;
  const lost = redisOn(victim).map((p) => p.metadata.name);
  expect(lost.length).toBeGreaterThan(0);
  // The machine falls off the network and its processes die, its etcd member too (its containers
  // stay, as on a hung host).
  await sim!.link(victim, false);
  await sim!.killCoxswain(victim);
  const gone = Date.now();
  // Two members of three answer: writes go on.
  await api.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'written-while-a-member-was-down', namespace: 'default' }, data: { host: name } });
  await eventually(
    async () => {
      const live = (await api.list<Pod>('pods', { namespace: 'default' })).items.filter((p) => p.status?.phase === 'Running');
      const count = (label: string) => live.filter((p) => p.metadata.labels?.name === label).length;
      return live.every((p) => p.spec.nodeName !== name) && count('redisslave') === 2 && count('redis-master') === 1;
    },
    180_000,
    `${name}'s pods running elsewhere`,
    1000,
  );
  console.log(`many-hosts: ${name}'s Redis pods (${lost.join(', ')}) Running on the other hosts ${((Date.now() - gone) / 1000).toFixed(1)} s after it died (NotReady 20 s after its last heartbeat, evicted 10 s later)`);
  // The guestbook answers again (its Redis keeps no data across a lost master: a new message).
  const gb = new GuestbookClient(`${hosts[0].address}:8000`);
  await eventually(
    async () => {
      await gb.post('written after a host died');
      return (await gb.read()).messages.includes('written after a host died');
    },
    120_000,
    'the guestbook on host 1 storing and reading a message',
    1000,
  ).catch(withDiagnostics);
  // Back: the same join command brings it back with the subnet its Minion holds.
  await sim!.link(victim, true);
  join(victim, joinToken);
  await eventually(async () => (await api.get<Minion>('minions', name)).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), 120_000, `${name} Ready again`, 500).catch(withDiagnostics);
  expect((await api.get<Minion>('minions', name)).spec!.podCIDR).toBe(cidr);
  await eventually(async () => (await routesOn(victim)).length === 2, 30_000, `${name} routing to the other two`, 250);
  // Its etcd member, restarted from its data, has caught up: it holds what was written without it.
  const own = createEtcdClient([`https://${victim.address}:2379`], { tls: etcdTLS });
  try {
    // A serializable read: answered from that member's own data.
    const key = '/registry/configmaps/default/written-while-a-member-was-down';
    const held = async () => JSON.parse((await own.get(key).serializable(true).string()) ?? '{}') as { data?: Record<string, string> };
    await eventually(async () => (await held()).data?.host === name, 30_000, `${name}'s etcd member holding the ConfigMap`, 250);
  } finally {
    own.close();
  }
});

it('coxswain leave drains a host: its pods move away and every other host drops its route to it within 10 s', async () => {
  const name = `host-${leaver.index}`;
  const cidr = (await api.get<Minion>('minions', name)).spec!.podCIDR!;
  const out = await sim!.exec(leaver, coxswain('leave', '--data-dir', path.join(leaver.dir, 'join')), 120_000);
  expect(out).toMatch(new RegExp(`^Minion ${name} left the cluster \\(\\d+ pod\\(s\\) moved away\\)`));
  const stayed = hosts.filter((h) => h !== leaver);
  for (const h of stayed) {
    await eventually(async () => !(await routesOn(h)).some((r) => r.startsWith(cidr)), 10_000, `host ${h.index}'s route to ${cidr} gone`, 100);
  }
  expect(await routesOn(leaver)).toEqual([]);
  expect((await api.list<Minion>('minions')).items.map((m) => m.metadata.name).sort()).toEqual(stayed.map((h) => `host-${h.index}`));
  // Its etcd member left the cluster, and its data with it.
  expect(await memberNames()).toEqual(stayed.map((h) => `host-${h.index}`));
  expect(existsSync(path.join(leaver.dir, 'join', 'etcd'))).toBe(false);
  expect((await api.list<Pod>('pods', { namespace: 'default' })).items.filter((p) => p.spec.nodeName === name)).toEqual([]);
  // The guestbook still answers on the hosts that stay: a message written through one is read through
  // the other. A new message, because the Redis master may have been on the leaving host, and a master
  // started again holds nothing: the read of the older message timed out twice with every pod Running
  // and the endpoints right, and the second time the master was a pod new on the host that had
  // rejoined empty, so it had moved there from the leaving host. A Redis slave moved off the leaving
  // host first syncs from the master: 120 s as for the host that died above.
  const [writer, reader] = [new GuestbookClient(`${stayed[0].address}:8000`), new GuestbookClient(`${stayed[1].address}:8000`)];
  await eventually(
    async () => {
      await writer.post('written after a host left');
      return (await reader.read()).messages.includes('written after a host left');
    },
    120_000,
    `the guestbook on hosts ${stayed[0].index} and ${stayed[1].index}`,
    500,
  ).catch(withDiagnostics);
});
