// The Scheduler's own rules on a FakeClock, with the store's writes captured (the etcd side is
// covered by scheduler.test.ts): parking, debounced retries, and a lost bind race.
import { ConflictError, ObjectStore, Pod, type Binding } from '@coxswain/objects';
import { EventRecorder } from '@coxswain/client';
import { processMetrics } from '@coxswain/process';
import { FakeClock, settle } from '@coxswain/testing';
import { MapCache } from './object-cache';
import { Scheduler } from './scheduler';
import { minion, pod } from './testing/fixtures';

function setup() {
  const clock = new FakeClock();
  const pods = new MapCache<Pod>();
  const binds: string[] = [];
  const statusWrites: Pod[] = [];
  let failNextBind: Error | undefined;
  const store = {
    bind: async (_ns: string, name: string, m: string) => {
      if (failNextBind) {
        const e = failNextBind;
        failNextBind = undefined;
        throw e;
      }
      binds.push(`${name}->${m}`);
    },
    // The scheduler binds through bindMany (batched); each binding behaves as bind above.
    bindMany: async (bs: Binding[]) => Promise.all(bs.map((b) => store.bind(b.namespace, b.podName, b.minion, '').then(() => undefined, (e: Error) => e))),
    updateStatus: async (p: Pod) => {
      statusWrites.push(p);
      return p;
    },
  } as unknown as ObjectStore;
  const events: string[] = [];
  const recorder = { normal: (_o: unknown, r: string) => events.push(r), warning: (_o: unknown, r: string, m: string) => events.push(`${r}: ${m}`) } as unknown as EventRecorder;
  const s = new Scheduler({ store, pods, recorder, clock, random: () => 0, workers: 1, retryDelayMs: 1000, resyncUnschedulableMs: 60_000 });
  const addPod = (p: Pod) => {
    pods.set(p);
    s.podHandlers.onAdd!(p);
  };
  return { s, clock, pods, binds, statusWrites, events, addPod, failBind: (e: Error) => (failNextBind = e) };
}

describe('Scheduler', () => {
  it('parks a pod that fits nowhere, ignores its own status write, and retries once a minion joins', async () => {
    const { s, clock, binds, statusWrites, events, addPod } = setup();
    s.minionHandlers.onAdd!(minion('m1'));
    addPod(pod('a', { hostPort: 80, nodeName: 'm1' }));
    s.start();
    const b = pod('b', { hostPort: 80 });
    addPod(b);
    await settle();
    expect(binds).toEqual([]);
    expect(events).toEqual(['FailedScheduling: 0/1 minions fit: 1 host port 80 in use']);
    expect(statusWrites[0].status?.conditions?.[0]).toMatchObject({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' });
    expect(s.unschedulableCount()).toBe(1);

    // Our own status write comes back through the informer: not a reason to try again.
    s.podHandlers.onUpdate!(b, statusWrites[0]);
    await clock.advance(5000);
    expect(events).toHaveLength(1);

    // A heartbeat-only minion update is not news either.
    s.minionHandlers.onUpdate!(minion('m1'), minion('m1', { heartbeat: '2030-01-01T00:00:00Z' }));
    await clock.advance(5000);
    expect(events).toHaveLength(1);

    // A new minion is: retried after the debounce delay, and bound there.
    s.minionHandlers.onAdd!(minion('m2'));
    await clock.advance(999);
    expect(binds).toEqual([]);
    await clock.advance(1);
    await settle();
    expect(binds).toEqual(['b->m2']);
    expect(s.unschedulableCount()).toBe(0);
    await s.stop();
    // The attempts, as /metrics counts them: one parked, one bound (this file's registry is its own).
    const text = await processMetrics.metrics();
    expect(text).toMatch(/^scheduler_schedule_attempts_total\{result="unschedulable"\} 1$/m);
    expect(text).toMatch(/^scheduler_schedule_attempts_total\{result="scheduled"\} 1$/m);
    expect(text).toMatch(/^scheduler_scheduling_algorithm_duration_seconds_count 2$/m);
  });

  it('forgets the assumption when the bind loses a race, and retries from the cache', async () => {
    const { s, clock, binds, addPod, failBind } = setup();
    s.minionHandlers.onAdd!(minion('m1'));
    s.start();
    failBind(new ConflictError('pods', 'p', 'already bound'));
    addPod(pod('p', { hostPort: 80 }));
    await settle();
    expect(binds).toEqual([]);
    expect(s.cache.getMinion('m1')!.hostPorts.size).toBe(0);
    await clock.advance(10);
    expect(binds).toEqual(['p->m1']);
    await s.stop();
  });

  it('periodically retries parked pods even without news', async () => {
    const { s, clock, events, addPod } = setup();
    s.start();
    addPod(pod('p'));
    await settle();
    expect(events).toEqual(['FailedScheduling: 0/0 minions fit: no minions registered']);
    await clock.advance(60_000);
    await settle();
    expect(events).toHaveLength(2);
    await s.stop();
  });

  it('does not wait for one binding before deciding the next: one worker fills batched transactions', async () => {
    const clock = new FakeClock();
    const pods = new MapCache<Pod>();
    const batches: number[] = [];
    // etcd answers each transaction 50 ms (fake) later.
    const store = {
      bindMany: async (bs: Binding[]) => {
        batches.push(bs.length);
        await clock.sleep(50);
        return bs.map(() => undefined);
      },
    } as unknown as ObjectStore;
    const recorder = { normal: () => undefined, warning: () => undefined } as unknown as EventRecorder;
    const s = new Scheduler({ store, pods, recorder, clock, random: () => 0, workers: 1 });
    for (let i = 0; i < 5; i++) s.minionHandlers.onAdd!(minion(`m${i}`));
    s.start();
    for (let i = 0; i < 100; i++) {
      const p = pod(`p${i}`);
      pods.set(p);
      s.podHandlers.onAdd!(p);
    }
    await settle();
    for (let t = 0; t < 20 && s.stats.bound < 100; t++) await clock.advance(50);
    expect(s.stats.bound).toBe(100);
    // A synchronous bind would have sent 100 transactions of one binding each.
    expect(batches.length).toBeLessThan(10);
    expect(Math.max(...batches)).toBeGreaterThan(1);
    await s.stop();
  });
});
