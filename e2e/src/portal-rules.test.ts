// PortalRules on this host's real nat table (needs root and iptables): a test-only minion name, a
// test-only portal network routed to a test-only dummy interface, a Node server on an address of
// that interface. Everything is removed at the end, and the test reads iptables-save to check.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { ensurePortalRoute, PortalRules, removePortalRoute, routeDevice } from '@coxswain/proxy';

const MINION = `t${process.pid}`;
const IFACE = `cxp${process.pid % 100000}`;
const PORTAL_NET = '172.30.249.0/24';
const PROXY_ADDRESS = '172.30.248.1';

const natRules = () => execFileSync('/usr/sbin/iptables-save', ['-t', 'nat']).toString().split('\n');
const mine = (rules: PortalRules) => natRules().filter((l) => l.includes(rules.chain));

function answerWith(text: string): Promise<net.Server> {
  const server = net.createServer((s) => s.end(text));
  return new Promise((resolve) => server.listen(0, PROXY_ADDRESS, () => resolve(server)));
}

function ask(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, timeout: 2000 });
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('end', () => resolve(out));
    s.on('timeout', () => s.destroy(new Error(`timeout to ${host}:${port}`)));
    s.on('error', reject);
  });
}

let rules: PortalRules;
const servers: net.Server[] = [];

beforeAll(async () => {
  await ensurePortalRoute(PORTAL_NET, IFACE);
  execFileSync('ip', ['addr', 'add', `${PROXY_ADDRESS}/32`, 'dev', IFACE]);
  rules = new PortalRules({ minion: MINION, podCIDR: '172.30.247.0/24' });
});
afterAll(async () => {
  for (const s of servers) s.close();
  await rules?.remove();
  await removePortalRoute(IFACE);
  expect(natRules().filter((l) => l.includes(`COXSWAIN-PORTALS-${MINION}`))).toEqual([]);
});

it('routes the portal network to its portless bridge: nothing leaves the host', async () => {
  expect(await routeDevice('172.30.249.77')).toBe(IFACE);
});

it('two services on one port, each portal IP reaching its own listener from a host process', async () => {
  const a = await answerWith('master');
  const b = await answerWith('slave');
  servers.push(a, b);
  await rules.sync([
    { portalIP: '172.30.249.10', port: 6379, protocol: 'TCP', proxyAddress: PROXY_ADDRESS, proxyPort: (a.address() as net.AddressInfo).port },
    { portalIP: '172.30.249.11', port: 6379, protocol: 'TCP', proxyAddress: PROXY_ADDRESS, proxyPort: (b.address() as net.AddressInfo).port },
  ]);
  const answers = [];
  for (let i = 0; i < 20; i++) answers.push(await ask('172.30.249.10', 6379), await ask('172.30.249.11', 6379));
  expect(answers.filter((x, i) => x !== (i % 2 === 0 ? 'master' : 'slave'))).toEqual([]);
});

it('a restarted proxy converges: no rule stale or doubled, hooks once', async () => {
  const port = (servers[0].address() as net.AddressInfo).port;
  const again = new PortalRules({ minion: MINION, podCIDR: '172.30.247.0/24' });
  await again.sync([{ portalIP: '172.30.249.10', port: 6379, protocol: 'TCP', proxyAddress: PROXY_ADDRESS, proxyPort: port }]);
  await again.sync([{ portalIP: '172.30.249.10', port: 6379, protocol: 'TCP', proxyAddress: PROXY_ADDRESS, proxyPort: port }]);
  const lines = mine(again);
  expect(lines.filter((l) => l.startsWith('-A PREROUTING'))).toEqual([`-A PREROUTING -s 172.30.247.0/24 -j ${again.chain}`]);
  expect(lines.filter((l) => l.startsWith('-A OUTPUT'))).toEqual([`-A OUTPUT -j ${again.chain}`]);
  expect(lines.filter((l) => l.startsWith(`-A ${again.chain}`))).toHaveLength(1);
  expect(lines.some((l) => l.includes('172.30.249.11'))).toBe(false);
});

it('remove leaves none of its rules', async () => {
  await rules.remove();
  expect(mine(rules)).toEqual([]);
});
