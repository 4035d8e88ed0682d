// An idle etcd client keeps its connection. etcd allows no keepalive pings on a connection without
// calls (its enforcement policy: PermitWithoutStream false); it counts each as a strike and, at the
// third, drops the connection ("excess pings"). So the client pings only while calls are in flight.
import { execFileSync } from 'node:child_process';
import { startEtcd, type EtcdHarness } from '@coxswain/testing';
import { createEtcdClient } from './etcd-client';

jest.setTimeout(60_000);

const KEEPALIVE_MS = 2000;

/** This process's established TCP connections to etcd's client port, by their local address. */
function connectionsTo(endpoint: string): string[] {
  const port = new URL(endpoint).port;
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(`pid=${process.pid},`))
    .map((l) => l.trim().split(/\s+/)[2]!)
    .sort();
}

let etcd: EtcdHarness;
beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

it('keeps its connection through five keepalive intervals without a call', async () => {
  const others = connectionsTo(etcd.endpoints[0]!); // the harness's own, if any
  const client = createEtcdClient(etcd.endpoints, { keepaliveTimeMs: KEEPALIVE_MS });
  try {
    await client.put('idle-check').value('1');
    const mine = connectionsTo(etcd.endpoints[0]!).filter((c) => !others.includes(c));
    expect(mine).toHaveLength(1);
    // Nothing to wait for here: the test is that nothing happens for this long. With pings on an idle
    // connection etcd drops it after the third (~3 intervals), and the call below dials a new one.
    await new Promise((r) => setTimeout(r, 5 * KEEPALIVE_MS));
    expect(await client.get('idle-check').string()).toBe('1');
    expect(connectionsTo(etcd.endpoints[0]!)).toContain(mine[0]);
  } finally {
    client.close();
  }
});
