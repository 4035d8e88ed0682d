import { LoadBalancer, endpointKey, type Endpoint } from './load-balancer';

const A = { ip: '10.0.0.1', port: 80 };
const B = { ip: '10.0.0.2', port: 80 };
const C = { ip: '10.0.0.3', port: 80 };

function picks(lb: LoadBalancer, n: number, clientIp?: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(endpointKey(lb.next(clientIp) as Endpoint));
  return out;
}

describe('LoadBalancer', () => {
  it('has nothing to offer without endpoints', () => {
    expect(new LoadBalancer().next('1.2.3.4')).toBeUndefined();
  });

  it('round robins over every endpoint evenly', () => {
    const lb = new LoadBalancer();
    lb.setEndpoints([C, A, B]);
    const seen = picks(lb, 30);
    const counts = new Map<string, number>();
    for (const k of seen) counts.set(k, (counts.get(k) ?? 0) + 1);
    expect([...counts.values()]).toEqual([10, 10, 10]);
    expect(new Set(seen)).toEqual(new Set([A, B, C].map(endpointKey)));
  });

  it('skips excluded endpoints and says so when all are excluded', () => {
    const lb = new LoadBalancer();
    lb.setEndpoints([A, B]);
    const excluded = new Set([endpointKey(A)]);
    for (let i = 0; i < 4; i++) expect(lb.next(undefined, excluded)).toEqual(B);
    expect(lb.next(undefined, new Set([endpointKey(A), endpointKey(B)]))).toBeUndefined();
  });

  it('keeps a client IP on one endpoint with ClientIP affinity, while other clients spread', () => {
    const lb = new LoadBalancer({ affinity: 'ClientIP' });
    lb.setEndpoints([A, B, C]);
    const first = picks(lb, 10, '192.168.0.5');
    expect(new Set(first).size).toBe(1);
    const others = ['192.168.0.6', '192.168.0.7', '192.168.0.8'].map((ip) => picks(lb, 1, ip)[0]);
    expect(new Set([first[0], ...others]).size).toBe(3);
  });

  it('moves a stuck client when its endpoint fails or disappears', () => {
    const lb = new LoadBalancer({ affinity: 'ClientIP' });
    lb.setEndpoints([A, B, C]);
    const stuck = lb.next('c1') as Endpoint;
    const moved = lb.next('c1', new Set([endpointKey(stuck)])) as Endpoint;
    expect(moved).not.toEqual(stuck);
    // The failure re-pins the client to the endpoint that answered.
    expect(lb.next('c1')).toEqual(moved);
    lb.setEndpoints([A, B, C].filter((e) => endpointKey(e) !== endpointKey(moved)));
    const third = lb.next('c1') as Endpoint;
    expect(third).not.toEqual(moved);
    expect(picks(lb, 5, 'c1')).toEqual(Array(5).fill(endpointKey(third)));
  });

  it('forgets an idle client after the affinity timeout', async () => {
    let now = 1_000_000;
    const clock = { now: () => now, sleep: async () => undefined, advance: async (ms: number) => void (now += ms) };
    const lb = new LoadBalancer({ affinity: 'ClientIP', affinityTimeoutMs: 1000, clock });
    lb.setEndpoints([A, B, C]);
    const first = lb.next('c1') as Endpoint;
    await clock.advance(900);
    expect(lb.next('c1')).toEqual(first); // used again: the idle timer restarts
    await clock.advance(900);
    expect(lb.next('c1')).toEqual(first);
    await clock.advance(1001);
    // Expired: the next pick follows the round robin, which has moved on past `first`.
    expect(lb.next('c1')).not.toEqual(first);
  });

  it('treats the same set in another order as no change', () => {
    const lb = new LoadBalancer();
    lb.setEndpoints([A, B, C]);
    const before = picks(lb, 1);
    lb.setEndpoints([C, B, A]);
    expect(picks(lb, 2)).toEqual([B, C].map(endpointKey));
    expect(before).toEqual([endpointKey(A)]);
  });
});
