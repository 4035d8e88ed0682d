// The simulated hosts themselves (@coxswain/testing's SimHosts), proven with plain Docker before any
// Coxswain component runs on them: three network namespaces on one bridge, a dockerd each. Each
// engine gets a user network on a subnet of its own (10.214.N.0/24, as a minion's pod subnet) and
// each host a host-gw route by hand to the others' subnets, as the proxy's pod routes agent makes.
// What an operator would check: the hosts reach each other; a container on host 1 reaches one on
// host 3 by its IP; what it looks like from host 3 (Docker's own MASQUERADE, inside each namespace,
// rewrites the source to host 1's address until pod-to-pod traffic is excluded from it); a host
// whose link is down is cut off and comes back; and stop() leaves nothing behind.
//
// Found here (docs/networking.md, "Docker's rules on each host"):
// - Docker adds `POSTROUTING -s <subnet> ! -o <bridge> -j MASQUERADE` for each network it makes, so
//   traffic to another host's pods leaves with the host's address. A rule before it that ends nat
//   processing for cluster-to-cluster traffic keeps the pod's source.
// - busybox nc quits when its stdin ends (a container's stdin is /dev/null), so the request is piped in.
import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { eventually, processesNaming, SimHosts, simHostLeftovers, type SimHost } from '@coxswain/testing';
import { ensureImages, IMAGES } from './support/images';

jest.setTimeout(5 * 60_000);

const NETWORK = 'cxsim';
const CLUSTER = '10.214.0.0/16';
const REPO = path.resolve(__dirname, '../..');
/** A container command line no other process has. */
const MARK = '86399';
const subnetOf = (h: SimHost) => `10.214.${h.index}.0/24`;

let sim: SimHosts | undefined;
let hosts: SimHost[];

const docker = (h: SimHost, ...args: string[]) => execFileSync('docker', ['-H', h.dockerEndpoint, ...args], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const ipOf = (h: SimHost, container: string) => docker(h, 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', container);
/** Whether host `from` gets an answer to one ping of `address` within a second. */
const pings = (from: SimHost, address: string) => sim!.exec(from, ['busybox', 'ping', '-c', '1', '-W', '1', address], 10_000).then(() => true, () => false);

/** The source address host 3's echo server saw for a request from container `caller` on host 1 (or the error). */
function sourceSeenFrom(caller: string, target: string): string {
  try {
    const answer = docker(hosts[0], 'exec', caller, 'sh', '-c', `printf 'GET /cgi-bin/ip HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${target} 9000`);
    return answer.split('\n').pop()!.replace(/^\[::ffff:(.*)\]$/, '$1');
  } catch (e) {
    return `failed: ${(e as Error).message}`;
  }
}

beforeAll(async () => {
  await ensureImages();
  sim = await SimHosts.start(3, [IMAGES.busybox]);
  hosts = sim.hosts;
  for (const h of hosts) {
    docker(h, 'network', 'create', '--subnet', subnetOf(h), NETWORK);
    for (const other of hosts.filter((o) => o !== h)) await sim.exec(h, ['ip', 'route', 'add', subnetOf(other), 'via', other.address]);
  }
}, 10 * 60_000);

afterAll(async () => {
  await sim?.stop();
}, 5 * 60_000);

it('the hosts reach each other over their link', async () => {
  for (const h of hosts) {
    for (const other of hosts.filter((o) => o !== h)) expect([other.address, await pings(h, other.address)]).toEqual([other.address, true]);
  }
});

it("a container on host 1 reaches one on host 3 by its IP; Docker's MASQUERADE hides its source until cluster traffic is excluded", async () => {
  const [h1, , h3] = hosts;
  // busybox httpd sets REMOTE_ADDR for a CGI: the echo server answers with the address it saw.
  const cgi = 'mkdir -p /www/cgi-bin && printf "#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho \\$REMOTE_ADDR\\n" > /www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 9000 -h /www';
  docker(h3, 'run', '-d', '--name', 'echo-source', '--network', NETWORK, IMAGES.busybox, 'sh', '-c', cgi);
  docker(h1, 'run', '-d', '--name', 'caller', '--network', NETWORK, IMAGES.busybox, 'sleep', '3600');
  const [target, caller] = [ipOf(h3, 'echo-source'), ipOf(h1, 'caller')];
  expect(target.startsWith('10.214.3.')).toBe(true);
  expect(caller.startsWith('10.214.1.')).toBe(true);

  // As Docker leaves it: the connection gets through, but host 3 sees host 1's address.
  const seen = await eventually(() => {
    const source = sourceSeenFrom('caller', target);
    return /^\d/.test(source) && source;
  }, 30_000, 'an answer from host 3');
  expect(seen).toBe(h1.address);

  // Pod-to-pod traffic ends nat processing before Docker's MASQUERADE: the real source arrives.
  await sim!.exec(h1, ['iptables', '-w', '-t', 'nat', '-I', 'POSTROUTING', '1', '-s', CLUSTER, '-d', CLUSTER, '-j', 'RETURN']);
  expect(sourceSeenFrom('caller', target)).toBe(caller);
});

it('a host whose link is down is cut off, and reachable again when it comes back up', async () => {
  const [h1, , h3] = hosts;
  const target = ipOf(h3, 'echo-source');
  await sim!.link(h3, false);
  expect(await pings(h1, h3.address)).toBe(false);
  expect(sourceSeenFrom('caller', target)).toMatch(/^failed/);
  await sim!.link(h3, true);
  await eventually(() => pings(h1, h3.address), 30_000, 'host 3 to answer again');
  expect(sourceSeenFrom('caller', target)).toBe(ipOf(h1, 'caller'));
});

it('stop() leaves no namespace, link, mount, process or route', async () => {
  // While they run, the leftovers check sees every kind of thing they hold (the wire's namespace among the netns).
  const leftovers = simHostLeftovers();
  expect(leftovers).toContain('netns cxh-wire');
  expect([...new Set(leftovers.map((l) => l.split(' ')[0]))].sort()).toEqual(['link', 'mount', 'netns', 'process']);
  await sim!.stop();
  sim = undefined;
  expect(simHostLeftovers()).toEqual([]);
  expect(execFileSync('ip', ['route'], { encoding: 'utf8' })).not.toContain('10.213.0.');
});

it("a crashed run (its test process and engine killed, a container still running) leaves nothing to the next run's start and stop", async () => {
  await sim?.stop(); // this suite's hosts, if the test before did not get to it
  sim = undefined;
  // The crashed run: another process that starts one host, runs a container there, and is killed.
  const script = `require('@coxswain/testing').SimHosts.start(1, ['${IMAGES.busybox}']).then((s) => console.log(JSON.stringify(s.hosts[0])))`;
  const crashed = spawn(process.execPath, ['-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  let host: SimHost;
  try {
    let out = '';
    crashed.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    host = await eventually(() => out.includes('\n') && (JSON.parse(out) as SimHost), 3 * 60_000, 'the crashed run to start its host', 200);
    docker(host, 'run', '-d', IMAGES.busybox, 'sleep', MARK);
  } finally {
    crashed.kill('SIGKILL');
  }
  // Its engine dies too (dockerd, containerd, the container's shim): the container's own process lives on.
  for (const pid of execFileSync('ip', ['netns', 'pids', host.ns], { encoding: 'utf8' }).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
  expect(processesNaming([`sleep ${MARK}`])).toHaveLength(1);

  sim = await SimHosts.start(1, [IMAGES.busybox]);
  expect(processesNaming([`sleep ${MARK}`])).toEqual([]);
  expect(docker(sim.hosts[0], 'ps', '-aq')).toBe('');
  await sim.stop();
  sim = undefined;
  expect(simHostLeftovers()).toEqual([]);
});
