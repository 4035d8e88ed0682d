// The heartbeat's writes: with a lease, a beat renews the lease and writes the Minion only when it is
// due (first beat, a changed report, a lease granted anew, or every statusReportMs); without one,
// every beat writes (the Ready condition is then the only heartbeat).
import { FakeClock, memoryRegistry } from '@coxswain/testing';
import { Minion, minionLeaseKey } from '@coxswain/objects';
import { MinionLease, type Registry } from '@coxswain/registry';
import { Heartbeat, MinionInfo } from './heartbeat';

const INTERVAL = 10_000;
const REPORT = 60_000;

let clock: FakeClock;
let store: Registry;

beforeEach(() => {
  clock = new FakeClock(Date.parse('2026-12-05T12:00:00Z'));
  store = memoryRegistry({ clock });
});

function info(): MinionInfo {
  return { name: 'm1', address: '127.0.1.1', podCIDR: '10.1.0.0/24', kubeletEndpoint: 'http://127.0.1.1:10250', serviceAddress: '10.1.0.1', capacity: { cpu: '2', pods: '110' } };
}

/** random 0 puts each unchanged report at the latest, statusReportMs after the last write. */
function heartbeat(minion: MinionInfo, withLease = true, random = () => 0): Heartbeat {
  const lease = withLease ? new MinionLease(store.storage, { name: minion.name }, 40) : undefined;
  return new Heartbeat({ store, lease, minion, intervalMs: INTERVAL, statusReportMs: REPORT, clock, random });
}

const stored = () => store.get<Minion>('minions', undefined, 'm1');
const heartbeatTime = async () => (await stored()).status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime;

/** The lease's remaining TTL, as the minion controller reads it. */
async function leaseRemaining(): Promise<number | undefined> {
  const rec = await store.storage.get<{ lease: string } & Minion>(minionLeaseKey('m1'));
  return (await store.storage.leases.timeToLive(rec.lease))?.remainingSeconds;
}

describe('Heartbeat with a lease', () => {
  it('registers on the first beat, then only renews the lease until the status report is due', async () => {
    const hb = heartbeat(info());
    await hb.beat();
    const first = await stored();
    expect(first.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

    for (let t = INTERVAL; t < REPORT; t += INTERVAL) {
      await clock.advance(INTERVAL);
      await hb.beat();
      // The lease was kept alive (full TTL again) and the Minion not rewritten.
      expect(await leaseRemaining()).toBe(40);
      expect((await stored()).metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    }
    expect(hb.statusWrites).toBe(1);

    await clock.advance(INTERVAL);
    await hb.beat();
    expect(hb.statusWrites).toBe(2);
    expect(await heartbeatTime()).toBe(new Date(clock.now()).toISOString());
  });

  it('spreads the unchanged reports of minions started together over the second half of statusReportMs', async () => {
    // Two minions beating in step: one draws the latest due time, the other the earliest.
    const late = heartbeat(info(), true, () => 0);
    const early = heartbeat({ ...info(), name: 'm2' }, true, () => 0.999);
    const writesAt = new Map<Heartbeat, number[]>([[late, []], [early, []]]);
    for (let t = 0; t <= 2 * REPORT; t += INTERVAL) {
      for (const [hb, times] of writesAt) {
        const before = hb.statusWrites;
        await hb.beat();
        if (hb.statusWrites > before) times.push(t);
      }
      await clock.advance(INTERVAL);
    }
    expect(writesAt.get(late)).toEqual([0, REPORT, 2 * REPORT]);
    // Due 30.03 s (REPORT / 2) after each write; the next beat, on the 10 s grid, writes it.
    expect(writesAt.get(early)).toEqual([0, 40_000, 80_000, 120_000]);
  });

  it('writes at once when what it reports changes', async () => {
    const minion = info();
    const hb = heartbeat(minion);
    await hb.beat();
    minion.labels = { zone: 'b' };
    await clock.advance(INTERVAL);
    await hb.beat();
    expect(hb.statusWrites).toBe(2);
    expect((await stored()).metadata.labels).toEqual({ zone: 'b' });
  });

  it('writes the status when its lease had to be granted anew (back from a silence)', async () => {
    const hb = heartbeat(info());
    await hb.beat();
    // Silent past the lease's TTL: etcd dropped the lease and its key.
    await clock.advance(45_000);
    await expect(hb.beat()).rejects.toThrow();
    expect(await store.storage.get(minionLeaseKey('m1')).catch(() => undefined)).toBeUndefined();
    await hb.beat();
    expect(await leaseRemaining()).toBe(40);
    expect(hb.statusWrites).toBe(2);
    expect(await heartbeatTime()).toBe(new Date(clock.now()).toISOString());
  });

  it('keeps its lease through a keepalive that failed without the lease expiring (a deadline while etcd is busy)', async () => {
    const hb = heartbeat(info());
    await hb.beat();
    const lease = (await store.storage.get<{ lease: string } & Minion>(minionLeaseKey('m1'))).lease;
    jest.spyOn(store.storage.leases, 'keepAlive').mockRejectedValueOnce(new Error('DEADLINE_EXCEEDED'));
    await clock.advance(INTERVAL);
    await expect(hb.beat()).rejects.toThrow('DEADLINE_EXCEEDED');
    await clock.advance(INTERVAL);
    await hb.beat();
    // The same lease, kept alive again; no new grant, no rewritten key, no status write.
    expect((await store.storage.get<{ lease: string } & Minion>(minionLeaseKey('m1'))).lease).toBe(lease);
    expect(await leaseRemaining()).toBe(40);
    expect(hb.statusWrites).toBe(1);
  });
});

describe('Heartbeat with a lease whose key write failed', () => {
  it('keeps the lease it was granted and writes the key on it next beat, granting no other', async () => {
    const hb = heartbeat(info());
    const grant = jest.spyOn(store.storage.leases, 'grant');
    jest.spyOn(store.storage, 'create').mockRejectedValueOnce(new Error('DEADLINE_EXCEEDED'));
    await expect(hb.beat()).rejects.toThrow('DEADLINE_EXCEEDED');
    await clock.advance(INTERVAL);
    await hb.beat();
    expect(grant).toHaveBeenCalledTimes(1);
    const rec = await store.storage.get<{ lease: string } & Minion>(minionLeaseKey('m1'));
    expect(rec.lease).toBe(await grant.mock.results[0]!.value);
    expect(await leaseRemaining()).toBe(40);
  });
});

describe('Heartbeat without a lease', () => {
  it('writes the Ready condition every beat', async () => {
    const hb = heartbeat(info(), false);
    await hb.beat();
    await clock.advance(INTERVAL);
    await hb.beat();
    expect(hb.statusWrites).toBe(2);
    expect(await heartbeatTime()).toBe(new Date(clock.now()).toISOString());
  });
});
