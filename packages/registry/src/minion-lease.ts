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
  /** Whether the lease key is written on `id`: until it is, the cluster does not see this lease. */
  private keyed = false;

  constructor(
    private readonly storage: Storage,
    private readonly minion: { name: string; address?: string },
    private readonly ttlSeconds: number,
  ) {}

  /**
   * Keeps the lease alive; after a loss (or on the first call) grants a new one and writes the key on
   * it. True when it wrote the key: the kubelet was silent (or new) for the cluster until now.
   */
  async renew(): Promise<boolean> {
    if (this.id) {
      try {
        await this.storage.leases.keepAlive(this.id);
      } catch (err) {
        // Expired (etcd no longer has it): start over with a new lease next time. Any other failure (a
        // deadline, etcd away) says nothing of the lease, which lives on for its TTL: the next beat
        // keeps it alive again. Starting over on those made a busy etcd busier — 5,000 kubelets each
        // granting, deleting, creating and rewriting its Minion — until nothing got through.
        if (err instanceof NotFoundError) {
          this.id = undefined;
          this.keyed = false;
        }
        throw err;
      }
      if (this.keyed) return false;
    } else {
      this.id = await this.storage.leases.grant(this.ttlSeconds);
    }
    // A key write that fails keeps the lease granted for it: the next beat keeps that lease alive and
    // writes the key again, rather than granting (and revoking) one more lease a beat while etcd is slow.
    const key = minionLeaseKey(this.minion.name);
    const record: MinionLeaseRecord = { apiVersion: 'v1', kind: 'MinionLease', metadata: { name: this.minion.name }, lease: this.id, address: this.minion.address };
    // A key left by our previous life (its lease not yet expired), or by a write of ours whose answer was lost, gives way to this one.
    await this.storage.delete(key).catch((err) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
    await this.storage.create(key, record, { lease: this.id });
    this.keyed = true;
    return true;
  }

  /** Stops renewing; the lease is left to expire (a stopped kubelet is, for the cluster, a silent one). */
  release(): void {
    this.id = undefined;
    this.keyed = false;
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
