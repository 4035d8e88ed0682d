// An idle etcd client keeps its connection. etcd allows no keepalive pings on a connection without
// calls (its enforcement policy: PermitWithoutStream false); it counts each as a strike and, at the
// third, drops the connection ("excess pings"). So the client pings only while calls are in flight.
// And a call that runs out its deadline leaves the connection and its watch streams alone (etcd3
// would close the channel, and grpc-js then drops its streams at the next ping).
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

it('keeps its watch streams through a call that runs out its deadline', async () => {
  const client = createEtcdClient(etcd.endpoints, { keepaliveTimeMs: KEEPALIVE_MS });
  let closing = false; // the client's close() cancels the stream: not a failure
  try {
    const stream = await client.watchClient.watch();
    const seen: string[] = [];
    let failure: Error | undefined;
    let created!: () => void;
    const watching = new Promise<void>((r) => (created = r));
    stream.on('data', (res: { created?: boolean; events?: Array<{ kv: { value: Buffer } }> }) => {
      if (res.created) created();
      for (const e of res.events ?? []) seen.push(e.kv.value.toString());
    });
    stream.on('error', (e: Error) => {
      if (!closing) failure = e;
    });
    stream.write({ create_request: { key: Buffer.from('deadline/'), range_end: Buffer.from('deadline0') } });
    await watching;

    await expect(client.kv.range({ key: Buffer.from('deadline/') }, { deadline: Date.now() - 1 })).rejects.toThrow(/DEADLINE_EXCEEDED/);

    // Nothing to wait for but time: the stream must outlive three keepalive intervals (it was dropped
    // at the first ping, one interval in). A write every 250 ms meanwhile, each seen by the watch.
    const writes = (3 * KEEPALIVE_MS) / 250;
    for (let i = 0; i < writes; i++) {
      await client.put('deadline/k').value(String(i));
      await new Promise((r) => setTimeout(r, 250));
    }
    await client.put('deadline/k').value('last');
    for (const until = Date.now() + 5000; !seen.includes('last') && !failure && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
    expect(failure?.message).toBeUndefined();
    expect(seen).toEqual([...Array.from({ length: writes }, (_, i) => String(i)), 'last']);
  } finally {
    closing = true;
    client.close();
  }
});
