// Registration and heartbeat of a minion, one loop: every beat (default 10 s)
//   1. keeps an etcd lease alive (TTL default 40 s) with the key /registry/leases/minions/<name>
//      attached, so liveness is visible in etcd without any write to the Minion object, and
//   2. creates or updates the Minion (addresses, capacity, labels, podCIDR, kubeletEndpoint,
//      serviceAddress) and stamps its Ready condition's lastHeartbeatTime.
// Any failure (etcd gone) is logged and retried with a jittered backoff capped at the beat
// interval; a lease that expired meanwhile is granted anew, so the heartbeat resumes by itself.
import type { Etcd3, Lease } from 'etcd3';
import { Backoff } from '@coxswain/client';
import { Clock, Condition, Minion, minionLeaseKey, NotFoundError, ObjectStore, realClock, AlreadyExistsError, withTimeout } from '@coxswain/objects';
import { createLogger, Logger } from '@coxswain/process';

export interface MinionInfo {
  name: string;
  address: string;
  podCIDR: string;
  kubeletEndpoint: string;
  serviceAddress: string;
  labels?: Record<string, string>;
  capacity: { cpu?: string; memory?: string; pods?: string };
}

export interface HeartbeatOptions {
  store: ObjectStore;
  /** Without a client, only the Minion's Ready condition carries the heartbeat. */
  etcd?: Etcd3;
  minion: MinionInfo;
  intervalMs?: number;
  leaseTtlSeconds?: number;
  clock?: Clock;
  logger?: Logger;
}

/** The Minion as this kubelet wants it, applied to what is stored (or to nothing). Pure. */
export function desiredMinion(current: Minion | undefined, info: MinionInfo, now: number): Minion {
  const nowIso = new Date(now).toISOString();
  const base: Minion = current ? structuredClone(current) : { apiVersion: 'v1', kind: 'Minion', metadata: { name: info.name } };
  base.metadata = { ...base.metadata, labels: { ...(base.metadata.labels ?? {}), ...(info.labels ?? {}) } };
  base.spec = { ...(base.spec ?? {}), podCIDR: info.podCIDR };
  const conditions = (base.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
  const before = base.status?.conditions?.find((c) => c.type === 'Ready');
  const ready: Condition = {
    type: 'Ready',
    status: 'True',
    reason: 'KubeletReady',
    message: 'kubelet is posting ready status',
    lastHeartbeatTime: nowIso,
    lastTransitionTime: before?.status === 'True' ? before.lastTransitionTime ?? nowIso : nowIso,
  };
  base.status = {
    ...(base.status ?? {}),
    addresses: [
      { type: 'InternalIP', address: info.address },
      { type: 'Hostname', address: info.name },
    ],
    capacity: info.capacity,
    kubeletEndpoint: info.kubeletEndpoint,
    serviceAddress: info.serviceAddress,
    conditions: [ready, ...conditions],
  };
  return base;
}

export class Heartbeat {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly ttl: number;
  private lease?: Lease;
  private abort?: AbortController;
  private loop?: Promise<void>;
  /** Time of the last complete beat (lease and Minion both written), for /healthz. */
  lastBeatAt?: number;

  constructor(private readonly opts: HeartbeatOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger ?? createLogger('kubelet-heartbeat', { minion: opts.minion.name });
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.ttl = opts.leaseTtlSeconds ?? 40;
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  /** Stops beating; the lease is left to expire (a stopped kubelet is, for the cluster, a silent one). */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.loop = undefined;
    this.lease?.release();
    this.lease = undefined;
  }

  /** One beat: lease, then Minion. Throws on failure. */
  async beat(): Promise<void> {
    if (this.opts.etcd) await this.keepLease(this.opts.etcd);
    await this.writeMinion();
    this.lastBeatAt = this.clock.now();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff({ initialMs: 500, maxMs: this.intervalMs, clock: this.clock });
    let failing = false;
    while (!signal.aborted) {
      let wait = this.intervalMs;
      try {
        await this.beat();
        if (failing) this.log.info('heartbeat resumed');
        failing = false;
        backoff.reset();
      } catch (e) {
        if (!failing) this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'heartbeat failed; retrying');
        failing = true;
        wait = backoff.nextDelay();
      }
      await this.clock.sleep(wait, signal);
    }
  }

  private async keepLease(etcd: Etcd3): Promise<void> {
    const key = minionLeaseKey(this.opts.minion.name);
    if (this.lease) {
      try {
        await withTimeout(this.lease.keepaliveOnce(), 5000, 'lease keepalive timed out after 5000 ms');
        return;
      } catch (e) {
        // Expired while etcd was away (or the call failed): start over with a new lease.
        this.lease.release();
        this.lease = undefined;
        throw e;
      }
    }
    const lease = etcd.lease(this.ttl, { autoKeepAlive: false });
    lease.on('lost', () => undefined); // handled by the next keepalive failing
    try {
      await withTimeout(lease.grant(), 5000, 'lease grant timed out after 5000 ms');
      await lease.put(key).value(JSON.stringify({ minion: this.opts.minion.name, address: this.opts.minion.address }));
      this.lease = lease;
    } catch (e) {
      lease.release();
      throw e;
    }
  }

  private async writeMinion(): Promise<void> {
    const { store, minion } = this.opts;
    try {
      await store.guaranteedUpdate<Minion>('minions', undefined, minion.name, (cur) => desiredMinion(cur, minion, this.clock.now()));
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      try {
        await store.create<Minion>(desiredMinion(undefined, minion, this.clock.now()));
      } catch (e2) {
        // Created meanwhile by someone else: the next beat updates it.
        if (!(e2 instanceof AlreadyExistsError)) throw e2;
      }
    }
  }
}
