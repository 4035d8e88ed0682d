// A kubelet's heartbeat lease: the key /registry/leases/minions/<name> on a lease the kubelet keeps
// alive, so that liveness shows in etcd without a write per beat (only a keepalive). The minion
// lifecycle controller reads how long ago each lease was last kept alive.
import { MINION_LEASE_PREFIX, minionLeaseKey, NotFoundError, type KubeObject } from '@coxswain/objects';
import type { Storage } from '@coxswain/objects';

/** What the lease key holds: whose it is and on which lease (so a reader can ask the lease's age). */
interface MinionLeaseRecord extends KubeObject {
  lease: string;
  address?: string;
}

export interface LiveLease {
  name: string;
  /** Time since the lease's last keepalive (granted TTL minus remaining TTL). */
  silentMs: number;
}

export class MinionLease {
  private id?: string;

  constructor(
    private readonly storage: Storage,
    private readonly minion: { name: string; address?: string },
    private readonly ttlSeconds: number,
  ) {}

  /**
   * Keeps the lease alive; after a loss (or on the first call) grants a new one and writes the key on
   * it. True when it granted: the kubelet was silent (or new) for the cluster until now.
   */
  async renew(): Promise<boolean> {
    if (this.id) {
      try {
        await this.storage.leases.keepAlive(this.id);
        return false;
      } catch (err) {
        // Expired (etcd no longer has it): start over with a new lease next time. Any other failure (a
        // deadline, etcd away) says nothing of the lease, which lives on for its TTL: the next beat
        // keeps it alive again. Starting over on those made a busy etcd busier — 5,000 kubelets each
        // granting, deleting, creating and rewriting its Minion — until nothing got through.
        if (err instanceof NotFoundError) this.id = undefined;
        throw err;
      }
    }
    const id = await this.storage.leases.grant(this.ttlSeconds);
    const key = minionLeaseKey(this.minion.name);
    const record: MinionLeaseRecord = { apiVersion: 'v1', kind: 'MinionLease', metadata: { name: this.minion.name }, lease: id, address: this.minion.address };
    try {
      // A key left by our previous life (its lease not yet expired) gives way to this one.
      await this.storage.delete(key).catch((err) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
      await this.storage.create(key, record, { lease: id });
      this.id = id;
      return true;
    } catch (err) {
      await this.storage.leases.revoke(id).catch(() => undefined);
      throw err;
    }
  }

  /** Stops renewing; the lease is left to expire (a stopped kubelet is, for the cluster, a silent one). */
  release(): void {
    this.id = undefined;
  }
}

/** Every minion with a live heartbeat lease, and how long since its last keepalive. */
export async function listLiveMinionLeases(storage: Storage): Promise<LiveLease[]> {
  const { items } = await storage.list<MinionLeaseRecord>(MINION_LEASE_PREFIX);
  const out = await Promise.all(
    items.map(async (rec) => {
      const ttl = rec.lease ? await storage.leases.timeToLive(rec.lease) : undefined;
      if (!ttl) return undefined;
      return { name: rec.metadata.name, silentMs: Math.max(0, ttl.grantedSeconds - ttl.remainingSeconds) * 1000 };
    }),
  );
  return out.filter((l): l is LiveLease => !!l);
}
