// Registration and heartbeat of a minion, one loop: every beat (default 10 s)
//   1. keeps an etcd lease alive (TTL default 40 s) with the key /registry/leases/minions/<name>
//      attached, so liveness is visible in etcd without any write (only a keepalive), and
//   2. writes the Minion (addresses, capacity, labels, podCIDR, kubeletEndpoint, serviceAddress) and
//      stamps its Ready condition's lastHeartbeatTime — with a lease, only when it is due: on the
//      first beat, when what the kubelet reports changed, when the lease had to be granted anew
//      (back from a silence), and otherwise at most `statusReportMs` (default 5 min) after the last
//      write, at least half that: each write draws its next due time at random in between, so that
//      minions started together (a bench's 1,000, a rack after a power cut) do not all write in the
//      same second every 5 min; the draws drift apart and spread the writes out. This is
//      Kubernetes' node Lease model (kube-node-lease: a cheap renew each period, a full status only on
//      change or every nodeStatusReportFrequency), and what lets 5,000 idle minions cost no writes.
//      Without a lease the Ready condition is the only heartbeat and is written every beat.
// Any failure (etcd gone) is logged and retried with a jittered backoff capped at the beat
// interval; a lease that expired meanwhile is granted anew, so the heartbeat resumes by itself.
import { Backoff } from '@coxswain/client';
import { Clock, Condition, Minion, NotFoundError, ObjectStore, realClock, AlreadyExistsError } from '@coxswain/objects';
import { createLogger, Logger } from '@coxswain/process';
import type { MinionLease } from '@coxswain/registry';

export interface MinionInfo {
  name: string;
  address: string;
  podCIDR: string;
  kubeletEndpoint: string;
  serviceAddress: string;
  labels?: Record<string, string>;
  capacity: { cpu?: string; memory?: string; pods?: string };
  /** The host and runtime, as `kubectl get nodes -o wide` shows them. */
  nodeInfo?: NonNullable<Minion['status']>['nodeInfo'];
}

export interface HeartbeatOptions {
  store: ObjectStore;
  /** The heartbeat lease; without one, only the Minion's Ready condition carries the heartbeat. */
  lease?: MinionLease;
  minion: MinionInfo;
  intervalMs?: number;
  /** With a lease: the longest the Minion's status goes unwritten although nothing changed. Default 5 min. */
  statusReportMs?: number;
  /** Draws where in [statusReportMs / 2, statusReportMs] the next unchanged report falls (tests pin it). */
  random?: () => number;
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
    allocatable: info.capacity,
    ...(info.nodeInfo ? { nodeInfo: info.nodeInfo } : {}),
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
  private readonly statusReportMs: number;
  /** What the last Minion write reported, and when the same report is due again: until then a beat writes nothing. */
  private lastWrite?: { report: string; dueAt: number };
  private abort?: AbortController;
  private loop?: Promise<void>;
  /** Time of the last complete beat (lease renewed, Minion written if due), for /healthz. */
  lastBeatAt?: number;
  /** Minion writes so far (tests and the bench read it: idle beats should not write). */
  statusWrites = 0;

  constructor(private readonly opts: HeartbeatOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger ?? createLogger('kubelet-heartbeat', { minion: opts.minion.name });
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.statusReportMs = opts.statusReportMs ?? 5 * 60_000;
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
    this.opts.lease?.release();
  }

  /** One beat: lease, then the Minion if due. Throws on failure. */
  async beat(): Promise<void> {
    // A fresh grant forgets the last write, so a write that then fails is retried by the next beat.
    if (await this.opts.lease?.renew()) this.lastWrite = undefined;
    const report = JSON.stringify(this.opts.minion);
    const now = this.clock.now();
    const due = !this.opts.lease || this.lastWrite?.report !== report || now >= this.lastWrite.dueAt;
    if (due) {
      await this.writeMinion();
      this.statusWrites++;
      const random = this.opts.random ?? Math.random;
      this.lastWrite = { report, dueAt: now + this.statusReportMs * (1 - random() / 2) };
    }
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

  private async writeMinion(): Promise<void> {
    const { store, minion } = this.opts;
    try {
      // Labels and podCIDR (rarely changed: usually no write), then the status with the heartbeat.
      await store.guaranteedUpdate<Minion>('minions', undefined, minion.name, (cur) => desiredMinion(cur, minion, this.clock.now()));
      await store.guaranteedUpdate<Minion>('minions', undefined, minion.name, (cur) => desiredMinion(cur, minion, this.clock.now()), { subresource: 'status' });
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
