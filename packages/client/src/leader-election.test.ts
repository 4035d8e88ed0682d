import { UnavailableError } from '@coxswain/objects';
import { MemoryStorage } from '@coxswain/store';
import { eventually } from '@coxswain/testing';
import { LeaderElector } from './leader-election';

const election = '/coxswain/leader/unit';

/** Candidate keys (one per session) of the election. */
async function candidates(storage: MemoryStorage): Promise<string[]> {
  return (await storage.list(election + '/')).items.map((c) => c.metadata.name!);
}

describe('LeaderElector (in memory)', () => {
  it('rides out an unavailable etcd while it revokes the stale lease of a lost session, then leads', async () => {
    const storage = new MemoryStorage();
    const lost = new LeaderElector({ storage, prefix: election, identity: 'a', ttlSeconds: 30 });
    await lost.campaign();
    const staleLease = BigInt(`0x${(await candidates(storage))[0]}`).toString();

    // A reconnecting client fails its first calls fast, as gRPC does while its reconnect backoff runs.
    const revoke = storage.leases.revoke;
    const calls: string[] = [];
    storage.leases.revoke = async (id) => {
      calls.push(id);
      if (calls.length <= 2) throw new UnavailableError('etcd unavailable (lease revoke): No connection established');
      return revoke(id);
    };
    const next = new LeaderElector({ storage, prefix: election, identity: 'a', ttlSeconds: 30, staleLease });
    await next.campaign();

    expect(next.isLeader).toBe(true);
    expect(calls.slice(0, 3)).toEqual([staleLease, staleLease, staleLease]); // two refused, the third revoked
    expect(lost.isLeader).toBe(false); // its key went with its lease
    expect(await candidates(storage)).toEqual([next.key!.split('/').pop()]);
    expect(next.unreleasedLease).toBeUndefined();
    await next.resign();
  });

  it('a candidate that resigns while its lease is being granted leaves neither lease nor key behind', async () => {
    const storage = new MemoryStorage();
    const grant = storage.leases.grant;
    let granted: string | undefined;
    let releaseGrant!: () => void;
    const grantHeld = new Promise<void>((r) => (releaseGrant = r));
    let grantCalled!: () => void;
    const grantStarted = new Promise<void>((r) => (grantCalled = r));
    storage.leases.grant = async (ttl) => {
      grantCalled();
      await grantHeld;
      return (granted = await grant(ttl));
    };
    const e = new LeaderElector({ storage, prefix: election, identity: 'a', ttlSeconds: 30 });
    const campaign = e.campaign();
    await grantStarted;
    await e.resign();
    releaseGrant();
    await expect(campaign).rejects.toThrow(/resigned/);
    // The lease granted after the resign is revoked as soon as the grant returns; no key was written.
    await eventually(async () => {
      if (granted === undefined) throw new Error('grant still in flight');
      return (await storage.leases.timeToLive(granted)) === undefined;
    }, 5_000, 'the late lease to be revoked');
    expect(await candidates(storage)).toEqual([]);
  });
});
