// etcd leases through etcd3's public lease RPCs (LeaseGrant, LeaseKeepAlive, LeaseRevoke). Each
// keepAlive is one request, on a stream shared by the client's keepalives (lease-keepalive-stream.ts):
// the caller (a leader elector, a kubelet's heartbeat) decides when to renew and what a failed
// renewal means, so no background keepalive outlives the storage or hides a loss (etcd3's own Lease
// only reports one after 2 x TTL).
import type { Etcd3 } from 'etcd3';
import { NotFoundError } from '@coxswain/objects';
import type { Leases } from '@coxswain/objects';
import { LeaseKeepAliveStream } from './lease-keepalive-stream';

type Call = <R>(what: string, fn: () => Promise<R>) => Promise<R>;

export class EtcdLeases implements Leases {
  private readonly keepAlives: LeaseKeepAliveStream;

  constructor(
    private readonly client: Etcd3,
    private readonly call: Call,
    private readonly callOptions: () => { deadline: number },
  ) {
    this.keepAlives = new LeaseKeepAliveStream(client);
  }

  async grant(ttlSeconds: number): Promise<string> {
    const res = await this.call('lease grant', () => this.client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: 0 }, this.callOptions()));
    return res.ID;
  }

  async keepAlive(id: string): Promise<void> {
    const res = await this.call('lease keepalive', () => this.keepAlives.keepAlive(id, this.callOptions().deadline));
    // etcd answers a lease it no longer has with TTL 0.
    if (!res.TTL || Number(res.TTL) <= 0) throw new NotFoundError('leases', id);
  }

  async timeToLive(id: string): Promise<{ grantedSeconds: number; remainingSeconds: number } | undefined> {
    const res = await this.call('lease ttl', () => this.client.leaseClient.leaseTimeToLive({ ID: id, keys: false }, this.callOptions()));
    // etcd answers a lease it no longer has with TTL -1.
    if (Number(res.TTL) < 0) return undefined;
    return { grantedSeconds: Number(res.grantedTTL), remainingSeconds: Number(res.TTL) };
  }

  /** Ends the shared keepalive stream (the storage is closing). */
  close(): void {
    this.keepAlives.close();
  }

  async revoke(id: string): Promise<void> {
    try {
      await this.call('lease revoke', () => this.client.leaseClient.leaseRevoke({ ID: id }, this.callOptions()));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
}
