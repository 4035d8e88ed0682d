import { feasibleMinionsToFind, schedulePod } from './scheduling-algorithm';
import { SchedulingCache } from './scheduling-cache';
import { minion, pod, service } from './testing/fixtures';

function cacheWith(...names: Parameters<typeof minion>[]): SchedulingCache {
  const c = new SchedulingCache();
  for (const args of names) c.setMinion(minion(...args));
  return c;
}

const first = () => 0;

describe('schedulePod', () => {
  it('never puts two pods asking for the same host port on one minion', () => {
    const cache = cacheWith(['m1'], ['m2'], ['m3']);
    const placed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = pod(`slave-${i}`, { hostPort: 6380 });
      const r = schedulePod(p, cache, { random: first });
      if (!r.minion) throw new Error('expected a fit');
      cache.assume(p, r.minion);
      placed.push(r.minion);
    }
    expect(new Set(placed).size).toBe(3);
    const r = schedulePod(pod('slave-3', { hostPort: 6380 }), cache);
    expect(r).toEqual({ message: '0/3 minions fit: 3 host port 6380 in use' });
  });

  it('counts each reason over the minions, most common first', () => {
    const cache = cacheWith(['m1', { ready: false }], ['m2', { cpu: '500m' }], ['m3', { cpu: '500m' }], ['m4', { labels: { disk: 'hdd' } }]);
    const r = schedulePod(pod('p', { cpu: '1', nodeSelector: { disk: 'ssd' } }), cache);
    expect(r.minion).toBeUndefined();
    expect((r as { message: string }).message).toBe(
      "0/4 minions fit: 4 minion labels don't match nodeSelector, 2 insufficient cpu, 1 minion not ready",
    );
  });

  it('skips minions that are not Ready or unschedulable', () => {
    const cache = cacheWith(['a', { ready: 'Unknown' }], ['b', { unschedulable: true }], ['c']);
    for (let i = 0; i < 5; i++) expect(schedulePod(pod(`p${i}`), cache, { random: Math.random })).toEqual({ minion: 'c' });
  });

  it('accounts cpu and memory of bound pods against capacity (requests, else limits)', () => {
    const cache = cacheWith(['a', { cpu: '1', memory: '1Gi' }], ['b', { cpu: '1', memory: '1Gi' }]);
    cache.updatePod(pod('big-a', { nodeName: 'a', cpu: '800m', memory: '100Mi' }));
    cache.updatePod(pod('big-b', { nodeName: 'b', cpu: '100m', memory: '1000Mi', limitsOnly: true }));
    expect(schedulePod(pod('p', { cpu: '300m', memory: '100Mi' }), cache)).toEqual({
      message: '0/2 minions fit: 1 insufficient cpu, 1 insufficient memory',
    });
    // Freeing room (the pod finished) makes it fit.
    cache.updatePod({ ...pod('big-a', { nodeName: 'a', cpu: '800m', memory: '100Mi' }), status: { phase: 'Succeeded' } });
    expect(schedulePod(pod('p', { cpu: '300m', memory: '100Mi' }), cache)).toEqual({ minion: 'a' });
  });

  it('honours nodeSelector', () => {
    const cache = cacheWith(['a', { labels: { disk: 'hdd' } }], ['b', { labels: { disk: 'ssd' } }]);
    for (let i = 0; i < 5; i++) expect(schedulePod(pod(`p${i}`, { nodeSelector: { disk: 'ssd' } }), cache, { random: Math.random })).toEqual({ minion: 'b' });
  });

  it('prefers the least requested minion', () => {
    const cache = cacheWith(['a', { cpu: '4', memory: '4Gi' }], ['b', { cpu: '4', memory: '4Gi' }]);
    cache.updatePod(pod('x', { nodeName: 'a', cpu: '2', memory: '1Gi' }));
    expect(schedulePod(pod('p', { cpu: '100m', memory: '10Mi' }), cache, { random: first })).toEqual({ minion: 'b' });
  });

  it('with binpack prefers the most requested minion that still fits', () => {
    const cache = cacheWith(['a', { cpu: '4', memory: '4Gi' }], ['b', { cpu: '4', memory: '4Gi' }]);
    cache.updatePod(pod('x', { nodeName: 'a', cpu: '2', memory: '1Gi' }));
    expect(schedulePod(pod('p', { cpu: '100m', memory: '10Mi' }), cache, { policy: 'binpack', random: first })).toEqual({ minion: 'a' });
    expect(schedulePod(pod('q', { cpu: '3', memory: '10Mi' }), cache, { policy: 'binpack', random: first })).toEqual({ minion: 'b' });
  });

  it('binpack without capacities fills the fuller minion', () => {
    const cache = cacheWith(['a'], ['b'], ['c']);
    cache.updatePod(pod('x', { nodeName: 'b' }));
    for (let i = 0; i < 4; i++) {
      const p = pod(`p${i}`);
      const r = schedulePod(p, cache, { policy: 'binpack', random: first });
      expect(r).toEqual({ minion: 'b' });
      cache.assume(p, 'b');
    }
  });

  it('spreads the pods of one controller across minions even when other pods are uneven', () => {
    const cache = cacheWith(['a', { cpu: '10', memory: '10Gi' }], ['b', { cpu: '10', memory: '10Gi' }], ['c', { cpu: '10', memory: '10Gi' }]);
    const owner = { name: 'web', uid: 'rc-web' };
    const placed = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      const p = pod(`web-${i}`, { owner, cpu: '10m', memory: '1Mi' });
      const r = schedulePod(p, cache, { random: Math.random });
      cache.assume(p, r.minion!);
      placed.set(r.minion!, (placed.get(r.minion!) ?? 0) + 1);
    }
    expect([...placed.values()]).toEqual([2, 2, 2]);
  });

  it('spreads the pods of one service', () => {
    const cache = cacheWith(['a'], ['b']);
    cache.setService(service('front', { app: 'front' }));
    cache.updatePod(pod('old', { nodeName: 'a', labels: { app: 'front' } }));
    cache.updatePod(pod('other', { nodeName: 'b' }));
    cache.updatePod(pod('other2', { nodeName: 'b' }));
    expect(schedulePod(pod('new', { labels: { app: 'front' } }), cache, { random: first })).toEqual({ minion: 'b' });
  });

  it('breaks ties with the injected random', () => {
    const cache = cacheWith(['a'], ['b'], ['c']);
    expect(schedulePod(pod('p'), cache, { random: () => 0 })).toEqual({ minion: 'a' });
    expect(schedulePod(pod('p'), cache, { random: () => 0.5 })).toEqual({ minion: 'b' });
    expect(schedulePod(pod('p'), cache, { random: () => 0.99 })).toEqual({ minion: 'c' });
  });

  it('says so when there are no minions', () => {
    expect(schedulePod(pod('p'), new SchedulingCache())).toEqual({ message: '0/0 minions fit: no minions registered' });
  });
});

describe('SchedulingCache', () => {
  it('forgets a failed assumption but keeps a confirmed binding', () => {
    const cache = cacheWith(['a'], ['b']);
    const p = pod('p', { hostPort: 80 });
    cache.assume(p, 'a');
    expect(cache.getMinion('a')!.hostPorts.has('80')).toBe(true);
    cache.forget(p);
    expect(cache.getMinion('a')!.hostPorts.has('80')).toBe(false);
    // Another scheduler bound it to b: the informer's copy places it there.
    cache.assume(p, 'a');
    cache.updatePod(pod('p', { hostPort: 80, nodeName: 'b' }));
    cache.forget(p);
    expect(cache.getMinion('a')!.hostPorts.size).toBe(0);
    expect(cache.getMinion('b')!.hostPorts.get('80')).toBe(1);
    cache.removePod('default/p');
    expect(cache.getMinion('b')!.podCount).toBe(0);
  });

  it('an informer copy without nodeName does not undo an assumption', () => {
    const cache = cacheWith(['a']);
    const p = pod('p', { hostPort: 80 });
    cache.assume(p, 'a');
    cache.updatePod(p);
    expect(cache.getMinion('a')!.podCount).toBe(1);
  });

  it('recounts services when they change', () => {
    const cache = cacheWith(['a']);
    cache.updatePod(pod('p', { nodeName: 'a', labels: { app: 'x' } }));
    const peersOnA = () => cache.peerCounts({ services: ['default/s'] }, [cache.getMinion('a')!])[0];
    cache.setService(service('s', { app: 'x' }));
    expect(peersOnA()).toBe(1);
    cache.setService(service('s', { app: 'y' }));
    expect(peersOnA()).toBe(0);
    cache.setService(service('s', { app: 'x' }));
    expect(peersOnA()).toBe(1);
    cache.removeService('default/s');
    expect(peersOnA()).toBe(0);
  });

  it('counts the pods of a controller and of its services on each minion, and leaves no tally behind', () => {
    const cache = cacheWith(['a'], ['b'], ['c']);
    const owned = (name: string, nodeName: string) => pod(name, { nodeName, labels: { app: 'x' }, owner: { name: 'rc', uid: 'rc-uid' } });
    cache.setService(service('s', { app: 'x' }));
    cache.updatePod(owned('p1', 'a'));
    cache.updatePod(owned('p2', 'a'));
    cache.updatePod(owned('p3', 'b'));
    cache.updatePod(pod('other', { nodeName: 'c', labels: { app: 'y' } }));
    const minions = ['a', 'b', 'c'].map((n) => cache.getMinion(n)!);
    // Each pod counts once for its controller and once for the service.
    expect(cache.peerCounts({ controller: 'rc-uid', services: ['default/s'] }, minions)).toEqual([4, 2, 0]);
    expect(cache.peerCounts({ controller: 'rc-uid', services: [] }, minions)).toEqual([2, 1, 0]);
    expect(minions.map((m) => m.peerTally)).toEqual([0, 0, 0]);
    cache.removePod('default/p1');
    cache.updatePod({ ...owned('p3', 'b'), status: { phase: 'Succeeded' } });
    expect(cache.peerCounts({ controller: 'rc-uid', services: ['default/s'] }, minions)).toEqual([2, 0, 0]);
  });
});

describe('schedulePod in a large cluster (stops once enough minions fit)', () => {
  const many = (n: number, f: (i: number) => Parameters<typeof minion>[1] = () => ({})) =>
    cacheWith(...Array.from({ length: n }, (_, i): Parameters<typeof minion> => [`m${i}`, f(i)]));
  // A seeded generator, so the spreading assertion below cannot flake.
  const seeded = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

  it('looks for an adaptive share of the minions: all up to 100, 42% at 1,000, never under 5%', () => {
    expect(feasibleMinionsToFind(3)).toBe(3);
    expect(feasibleMinionsToFind(100)).toBe(100);
    expect(feasibleMinionsToFind(1000)).toBe(420);
    expect(feasibleMinionsToFind(5000)).toBe(500);
    expect(feasibleMinionsToFind(20000)).toBe(1000);
    // Configured: the percentage, but never fewer than 100 minions; 100% is all.
    expect(feasibleMinionsToFind(1000, 5)).toBe(100);
    expect(feasibleMinionsToFind(4000, 5)).toBe(200);
    expect(feasibleMinionsToFind(1000, 100)).toBe(1000);
  });

  it('stops after the wanted number of fitting minions and starts the next search after them', () => {
    const cache = many(1000);
    const placed: string[] = [];
    for (let i = 0; i < 12; i++) {
      const p = pod(`p${i}`);
      const r = schedulePod(p, cache, { random: first, percentageOfMinionsToScore: 10 });
      if (!r.minion) throw new Error('expected a fit');
      cache.assume(p, r.minion);
      placed.push(r.minion);
    }
    // All empty minions tie, and `first` takes the first of those tested: each search saw 100 minions
    // from where the last one stopped, wrapping around.
    expect(placed).toEqual(['m0', 'm100', 'm200', 'm300', 'm400', 'm500', 'm600', 'm700', 'm800', 'm900', 'm1', 'm101']);
  });

  it('keeps testing past the share when too few minions fit', () => {
    const cache = many(500, (i) => (i === 450 ? { labels: { disk: 'ssd' } } : {}));
    const r = schedulePod(pod('p', { nodeSelector: { disk: 'ssd' } }), cache, { percentageOfMinionsToScore: 5 });
    expect(r).toEqual({ minion: 'm450' });
  });

  it('when nothing fits, names the reasons for every minion', () => {
    const cache = many(300, (i) => (i < 100 ? { ready: false } : {}));
    for (let i = 100; i < 300; i++) cache.updatePod(pod(`holder-${i}`, { nodeName: `m${i}`, hostPort: 80 }));
    const r = schedulePod(pod('p', { hostPort: 80 }), cache, { percentageOfMinionsToScore: 5 });
    expect(r).toEqual({ message: '0/300 minions fit: 200 host port 80 in use, 100 minion not ready' });
  });

  it("still spreads one controller's pods: 1,000 pods on 1,000 minions, none holds more than 2", () => {
    const cache = many(1000);
    const random = seeded(42);
    const perMinion = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const p = pod(`r${i}`, { owner: { name: 'rc', uid: 'uid-rc' }, labels: { app: 'r' } });
      const r = schedulePod(p, cache, { random });
      if (!r.minion) throw new Error('expected a fit');
      cache.assume(p, r.minion);
      perMinion.set(r.minion, (perMinion.get(r.minion) ?? 0) + 1);
    }
    expect(Math.max(...perMinion.values())).toBeLessThanOrEqual(2);
    expect(perMinion.size).toBeGreaterThanOrEqual(900);
  });
});
