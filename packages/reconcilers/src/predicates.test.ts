import { fits, isMinionReady, unfitReasons } from './predicates';
import { podResources } from './pod-resources';
import { SchedulingCache } from './scheduling-cache';
import { minion, pod } from './testing/fixtures';

describe('fits', () => {
  it('agrees with unfitReasons on every combination of minion state and pod demand', () => {
    const minionCases: Parameters<typeof minion>[1][] = [
      {},
      { ready: false },
      { ready: 'Unknown' },
      { unschedulable: true },
      { labels: { disk: 'ssd' } },
      { cpu: '500m', memory: '1Gi', pods: '2' },
      { cpu: '4', memory: '64Gi', pods: '1' },
    ];
    const podCases: Parameters<typeof pod>[1][] = [{}, { hostPort: 80 }, { cpu: '1' }, { memory: '2Gi' }, { nodeSelector: { disk: 'ssd' } }, { cpu: '100m', hostPort: 8080 }];
    let fitting = 0;
    let checked = 0;
    minionCases.forEach((mc, i) => {
      const cache = new SchedulingCache();
      cache.setMinion(minion(`m${i}`, mc));
      cache.assume(pod(`resident-${i}`, { hostPort: 80, cpu: '100m', memory: '100Mi' }), `m${i}`);
      const info = cache.getMinion(`m${i}`)!;
      for (const pc of podCases) {
        const p = pod('p', pc);
        const candidate = { labels: p.metadata.labels, nodeSelector: p.spec.nodeSelector, resources: podResources(p) };
        expect(fits(candidate, info)).toBe(unfitReasons(candidate, info).length === 0);
        if (fits(candidate, info)) fitting++;
        checked++;
      }
    });
    // Both outcomes were exercised.
    expect(fitting).toBeGreaterThan(0);
    expect(fitting).toBeLessThan(checked);
  });

  it('follows the minion through updates: NotReady or cordoned is unfit at once, Ready again fits, a removed one never', () => {
    const cache = new SchedulingCache();
    const p = pod('p', {});
    const candidate = { labels: p.metadata.labels, nodeSelector: p.spec.nodeSelector, resources: podResources(p) };
    const fitsNow = () => fits(candidate, cache.getMinion('m')!);
    cache.setMinion(minion('m', {}));
    expect(fitsNow()).toBe(true);
    cache.setMinion(minion('m', { ready: false }));
    expect(fitsNow()).toBe(false);
    cache.setMinion(minion('m', {}));
    expect(fitsNow()).toBe(true);
    cache.setMinion(minion('m', { unschedulable: true }));
    expect(fitsNow()).toBe(false);
    cache.setMinion(minion('m', {}));
    cache.assume(pod('resident', {}), 'm'); // keeps the entry after the removal
    cache.removeMinion('m');
    expect(fitsNow()).toBe(false);
    expect(unfitReasons(candidate, cache.getMinion('m')!)).toEqual(['minion unknown']);
  });

  it('keeps readiness per minion object: a new object is asked afresh', () => {
    const ready = minion('m', {});
    const notReady = minion('m', { ready: false });
    expect(isMinionReady(ready)).toBe(true);
    expect(isMinionReady(notReady)).toBe(false);
    expect(isMinionReady(ready)).toBe(true);
  });
});
