// The pod routes agent on a real kernel, inside two network namespaces this test makes ("host A"
// and "host B", joined by a veth pair, 10.215.0.0/24): the agent runs as host A's (its ip and
// iptables commands entered into A's namespace) over minions in a memory registry. What an operator
// would check on A: one route per other minion's pod subnet (`ip route`), none doubled by a restart,
// a removed minion's route gone, a minion off A's link reported on A's Minion instead of routed,
// the NAT and forward chains first in their hooks, and nothing left after stop.
import { execFileSync } from 'node:child_process';
import { Informer } from '@coxswain/client';
import type { Event, Minion } from '@coxswain/objects';
import { PodRoutes, NAT_CHAIN, FORWARD_CHAIN } from '@coxswain/proxy';
import { createLogger } from '@coxswain/process';
import { eventually, memoryRegistry } from '@coxswain/testing';
import { EventRecorder } from '@coxswain/client';

jest.setTimeout(60_000);

const A = `cxpr-a-${process.pid}`;
const B = `cxpr-b-${process.pid}`;
const CLUSTER = '10.216.0.0/16';

const sh = (args: string[]) => execFileSync(args[0], args.slice(1), { encoding: 'utf8' });
const inA = (args: string[]) => sh(['nsenter', `--net=/run/netns/${A}`, ...args]);
const execInA = async (file: string, args: readonly string[], input?: string) =>
  execFileSync('nsenter', [`--net=/run/netns/${A}`, file, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });

function minion(name: string, address: string, podCIDR: string): Minion {
  return { apiVersion: 'v1', kind: 'Minion', metadata: { name }, spec: { podCIDR }, status: { addresses: [{ type: 'InternalIP', address }] } };
}

const routesOnA = () => inA(['ip', '-o', 'route', 'show', 'proto', '99']).trim().split('\n').filter(Boolean).map((l) => l.replace(/\s+/g, ' ').trim());

beforeAll(() => {
  sh(['ip', 'netns', 'add', A]);
  sh(['ip', 'netns', 'add', B]);
  sh(['ip', 'link', 'add', `cxpra${process.pid % 10000}`, 'netns', A, 'type', 'veth', 'peer', 'name', `cxprb${process.pid % 10000}`, 'netns', B]);
  inA(['ip', 'link', 'set', 'lo', 'up']);
  inA(['ip', 'addr', 'add', '10.215.0.1/24', 'dev', `cxpra${process.pid % 10000}`]);
  inA(['ip', 'link', 'set', `cxpra${process.pid % 10000}`, 'up']);
  sh(['nsenter', `--net=/run/netns/${B}`, 'ip', 'link', 'set', `cxprb${process.pid % 10000}`, 'up']);
});
afterAll(() => {
  for (const ns of [A, B]) sh(['ip', 'netns', 'del', ns]);
});

it('keeps one route per other minion on its link, reports one off it, and leaves nothing behind', async () => {
  const store = memoryRegistry();
  await store.create(minion('host-a', '10.215.0.1', '10.216.1.0/24'));
  await store.create(minion('host-b', '10.215.0.2', '10.216.2.0/24'));
  await store.create(minion('far', '192.0.2.9', '10.216.3.0/24'));
  const minions = new Informer<Minion>({ store, resource: 'minions' });
  minions.start();
  await minions.waitForSync();
  const recorder = new EventRecorder({ store, component: 'proxy', host: 'host-a' });
  const logger = createLogger('pod-routes-test');
  const agent = () => new PodRoutes({ minion: 'host-a', clusterCidr: CLUSTER, minions, store, recorder, exec: execInA, logger });
  const agents: PodRoutes[] = [];
  try {
    await checkAgent(store, minions, recorder, () => {
      agents.push(agent());
      return agents[agents.length - 1];
    });
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await minions.stop();
    await recorder.flush();
    // Its events' leases sleep until they expire (an hour): closing the store ends the wait.
    await store.close();
  }
});

async function checkAgent(store: ReturnType<typeof memoryRegistry>, minions: Informer<Minion>, recorder: EventRecorder, agent: () => PodRoutes): Promise<void> {

  const first = agent();
  const pass = await first.sync();
  expect(pass).toEqual({ added: ['10.216.2.0/24'], removed: [], offLink: ['far'] });
  expect(routesOnA()).toEqual([expect.stringMatching(/^10\.216\.2\.0\/24 via 10\.215\.0\.2 dev cxpra\d+/)]);
  // The chains are first in their hooks: ahead of Docker's per-bridge MASQUERADE and FORWARD drop.
  expect(inA(['iptables', '-t', 'nat', '-S', 'POSTROUTING']).split('\n')[1]).toBe(`-A POSTROUTING -j ${NAT_CHAIN}`);
  expect(inA(['iptables', '-t', 'filter', '-S', 'FORWARD']).split('\n')[1]).toBe(`-A FORWARD -j ${FORWARD_CHAIN}`);
  expect(inA(['iptables', '-t', 'nat', '-S', NAT_CHAIN])).toContain(`-A ${NAT_CHAIN} -s ${CLUSTER} -d ${CLUSTER}`);
  expect(inA(['sysctl', '-n', 'net.ipv4.ip_forward']).trim()).toBe('1');

  // Host A's Minion says which minion it cannot reach, and an event names it.
  const cond = () => store.get<Minion>('minions', undefined, 'host-a').then((m) => m.status?.conditions?.find((c) => c.type === 'NetworkUnavailable'));
  expect(await cond()).toMatchObject({ status: 'True', reason: 'MinionNotOnLink', message: expect.stringContaining('far') });
  await recorder.flush();
  const events = (await store.list<Event>('events', { namespace: 'default' })).items;
  expect(events.map((e) => `${e.reason}: ${e.message}`)).toContain("MinionNotOnLink: minion far is not on this host's link: no route to its pods from here (host-gw routes need one link)");

  // A restarted agent converges on the same routes and rules, none doubled.
  const second = agent();
  expect(await second.sync()).toEqual({ added: [], removed: [], offLink: ['far'] });
  expect(routesOnA()).toHaveLength(1);
  expect(inA(['iptables', '-t', 'nat', '-S', 'POSTROUTING']).split('\n').filter((l) => l.includes(NAT_CHAIN))).toHaveLength(1);

  // Minions change: the far one moves onto the link, host-b leaves. Passes follow the events.
  second.start();
  const far = await store.get<Minion>('minions', undefined, 'far');
  await store.updateStatus({ ...far, status: { addresses: [{ type: 'InternalIP', address: '10.215.0.3' }] } });
  await store.delete('minions', undefined, 'host-b');
  await eventually(
    () => {
      expect(routesOnA()).toEqual([expect.stringMatching(/^10\.216\.3\.0\/24 via 10\.215\.0\.3 /)]);
      return true;
    },
    10_000,
    'the route to the moved minion only',
  );
  await eventually(async () => (await cond())?.status === 'False', 10_000, 'NetworkUnavailable False');
  expect(await cond()).toMatchObject({ reason: 'RouteCreated', message: 'routes to every other minion are in place' });

  await second.stop();
  expect(routesOnA()).toEqual([]);
  expect(inA(['iptables', '-t', 'nat', '-S'])).not.toContain('COXSWAIN');
  expect(inA(['iptables', '-t', 'filter', '-S'])).not.toContain('COXSWAIN');
}
