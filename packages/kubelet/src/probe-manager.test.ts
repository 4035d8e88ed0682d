import type { Container } from '@coxswain/objects';
import { FakeClock } from '@coxswain/testing';
import { ProbeManager } from './probe-manager';
import type { Prober } from './prober';

function setup(results: boolean[]) {
  const clock = new FakeClock(0);
  const calls: number[] = [];
  const prober: Prober = {
    run: async () => {
      calls.push(clock.now());
      return { ok: results.length ? results.shift()! : true, message: 'nope' };
    },
  };
  const liveness: string[] = [];
  const readiness: string[] = [];
  const m = new ProbeManager({ prober, clock, onLivenessFailure: (k, n, id, msg) => liveness.push(`${k}/${n}/${id}: ${msg}`), onReadinessChange: (k) => readiness.push(k) });
  return { clock, calls, liveness, readiness, m };
}

describe('ProbeManager', () => {
  it('probes liveness after the initial delay every period and reports once after failureThreshold failures', async () => {
    const { clock, calls, liveness, m } = setup([true, false, false, false]);
    const c: Container = { name: 'app', image: 'i', livenessProbe: { exec: { command: ['x'] }, initialDelaySeconds: 5, periodSeconds: 2, failureThreshold: 3 } };
    m.ensure('ns/p', c, 'c1', '10.0.0.2');
    m.ensure('ns/p', c, 'c1', '10.0.0.2'); // idempotent
    await clock.advance(4_000);
    expect(calls).toEqual([]);
    await clock.advance(20_000);
    expect(calls).toEqual([5_000, 7_000, 9_000, 11_000]);
    expect(liveness).toEqual(['ns/p/app/c1: nope']);
    expect(m.size).toBe(0);
  });

  it('keeps a container not ready until its readiness probe succeeds, and reports changes', async () => {
    const { clock, readiness, m } = setup([false, true, true, false]);
    const c: Container = { name: 'app', image: 'i', readinessProbe: { httpGet: { port: 80 }, periodSeconds: 1, failureThreshold: 1 } };
    m.ensure('ns/p', c, 'c1', '10.0.0.2');
    expect(m.isReady(c, 'c1')).toBe(false);
    await clock.advance(0);
    expect(m.isReady(c, 'c1')).toBe(false);
    await clock.advance(1_000);
    expect(m.isReady(c, 'c1')).toBe(true);
    await clock.advance(2_000);
    expect(m.isReady(c, 'c1')).toBe(false);
    expect(readiness).toEqual(['ns/p', 'ns/p', 'ns/p']);
    expect(m.isReady({ name: 'x', image: 'i' }, 'other')).toBe(true); // no probe: ready when running
    m.stopPod('ns/p');
    expect(m.size).toBe(0);
  });

  it('drops a worker that died, so the next sync of the container starts a live prober', async () => {
    const clock = new FakeClock(0);
    let probes = 0;
    const prober: Prober = { run: async () => (probes++, { ok: true }) };
    let changes = 0;
    const m = new ProbeManager({
      prober,
      clock,
      onLivenessFailure: () => undefined,
      onReadinessChange: () => {
        // The first report throws (a bug in the caller): that ends the worker.
        if (changes++ === 0) throw new Error('caller bug');
      },
    });
    const c: Container = { name: 'app', image: 'i', readinessProbe: { exec: { command: ['x'] }, periodSeconds: 1 } };
    m.ensure('ns/p', c, 'c1', '10.0.0.2');
    await clock.advance(0);
    expect(probes).toBe(1);
    expect(m.size).toBe(0); // no dead entry left behind
    await clock.advance(5_000);
    expect(probes).toBe(1);

    m.ensure('ns/p', c, 'c1', '10.0.0.2'); // the next sync
    expect(m.size).toBe(1);
    await clock.advance(3_000);
    expect(probes).toBe(5); // at 5, 6, 7 and 8 s
    expect(m.isReady(c, 'c1')).toBe(true);
    m.stopAll();
  });

  it('counts a prober that throws as no result: the worker keeps probing and readiness stays', async () => {
    const clock = new FakeClock(0);
    const outcomes: Array<boolean | Error> = [true, new Error('socket hang up'), new Error('socket hang up'), false];
    const prober: Prober = {
      run: async () => {
        const next = outcomes.shift() ?? true;
        if (next instanceof Error) throw next;
        return { ok: next, message: 'nope' };
      },
    };
    const m = new ProbeManager({ prober, clock, onLivenessFailure: () => undefined, onReadinessChange: () => undefined });
    const c: Container = { name: 'app', image: 'i', readinessProbe: { exec: { command: ['x'] }, periodSeconds: 1, failureThreshold: 1 } };
    m.ensure('ns/p', c, 'c1', '10.0.0.2');
    await clock.advance(0);
    expect(m.isReady(c, 'c1')).toBe(true);
    await clock.advance(2_000); // two prober errors: still ready, still probing
    expect(m.isReady(c, 'c1')).toBe(true);
    expect(m.size).toBe(1);
    await clock.advance(1_000); // a real failure
    expect(m.isReady(c, 'c1')).toBe(false);
    m.stopAll();
  });
});
