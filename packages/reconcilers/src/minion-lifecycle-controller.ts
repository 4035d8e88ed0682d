// The minion lifecycle controller: notices minions that stopped heartbeating.
// A kubelet heartbeats two ways (see docs/reconcilers.md): it keeps an etcd lease alive with the key
// `/registry/leases/minions/<name>`, and it refreshes its Ready condition's lastHeartbeatTime. Either
// counts as "heard from" at the moment this controller observes it (its own clock, so kubelet clock
// skew does not matter). Every minion starts out heard-from when the controller starts, so a new
// leader never evicts a whole cluster it has simply not watched yet.
//
// reconcile(minion) applies judgeMinion(): past the grace period the Ready condition becomes Unknown
// (the scheduler stops placing pods there) and the minion's pods are marked not ready (endpoints drop
// them); past the eviction timeout its pods are deleted (their controllers recreate them elsewhere).
// A heartbeat brings it back. Each transition records an event. Each minion is requeued for its next
// deadline, so nothing scans all minions on a timer except the cheap lease poll.
import { Clock, Condition, ConflictError, Minion, NotFoundError, ObjectStore, Pod, realClock } from '@coxswain/objects';
import { createLogger, Logger } from '@coxswain/process';
import type { LiveLease } from '@coxswain/registry';
import { EventRecorder, Controller, ReconcileResult } from '@coxswain/client';
import { judgeMinion, MinionTimeouts } from './minion-health';
import { CacheReader, Handlers, INDEX } from './object-cache';

/** The reason we write on a Ready condition we turned Unknown (so we know to turn it back). */
export const STATUS_UNKNOWN_REASON = 'MinionStatusUnknown';

/** The reason on a pod's Ready condition this controller set False because its minion went silent (so we know to turn it back). */
const POD_MINION_NOT_READY = 'MinionNotReady';

export interface MinionLifecycleControllerOptions {
  store: ObjectStore;
  minions: CacheReader<Minion>;
  pods: CacheReader<Pod>;
  recorder: EventRecorder;
  /**
   * The minions whose heartbeat lease key exists, each with how long ago its lease was last kept
   * alive; polled. Omit to use heartbeat times only.
   */
  listLiveLeases?: () => Promise<LiveLease[]>;
  /** Default 40 s. */
  gracePeriodMs?: number;
  /** Default 5 min (counted after the grace period). */
  evictionTimeoutMs?: number;
  /** How often to poll the lease keys. Default a quarter of the grace period (at most 10 s). */
  leasePollMs?: number;
  clock?: Clock;
  logger?: Logger;
}


function readyCondition(m: Minion): Condition | undefined {
  return m.status?.conditions?.find((c) => c.type === 'Ready');
}

export class MinionLifecycleController {
  readonly controller: Controller;
  private readonly opts: MinionLifecycleControllerOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly timeouts: MinionTimeouts;
  private readonly lastHeard = new Map<string, number>();
  private readonly notReady = new Set<string>();
  private readonly evicted = new Set<string>();
  private startedAt = 0;
  private pollAbort?: AbortController;
  private pollLoop?: Promise<void>;

  constructor(opts: MinionLifecycleControllerOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger ?? createLogger('minion-controller');
    this.timeouts = { graceMs: opts.gracePeriodMs ?? 40_000, evictionMs: opts.evictionTimeoutMs ?? 5 * 60_000 };
    this.controller = new Controller({ name: 'minion-controller', reconcile: (k) => this.reconcile(k), workers: 2, clock: this.clock, logger: this.log });
  }

  readonly minionHandlers: Handlers<Minion> = {
    onAdd: (m) => {
      this.heard(m.metadata.name);
      this.controller.enqueue(m.metadata.name);
    },
    onUpdate: (old, m) => {
      if (readyCondition(old)?.lastHeartbeatTime !== readyCondition(m)?.lastHeartbeatTime) this.heard(m.metadata.name);
      this.controller.enqueue(m.metadata.name);
    },
    onDelete: (m) => {
      this.lastHeard.delete(m.metadata.name);
      this.notReady.delete(m.metadata.name);
      this.evicted.delete(m.metadata.name);
    },
  };

  start(): void {
    this.startedAt = this.clock.now();
    for (const m of this.opts.minions.list()) this.controller.enqueue(m.metadata.name);
    this.controller.start();
    if (this.opts.listLiveLeases) this.startLeasePoll(this.opts.listLiveLeases);
  }

  async stop(): Promise<void> {
    this.pollAbort?.abort();
    await this.pollLoop;
    await this.controller.stop();
  }

  health(): unknown {
    return { minions: this.lastHeard.size, notReady: [...this.notReady] };
  }

  private heard(name: string, at = this.clock.now()): void {
    if (at <= (this.lastHeard.get(name) ?? -Infinity)) return;
    this.lastHeard.set(name, at);
    // Back from silence: look at once rather than at the next deadline.
    if (this.notReady.has(name)) this.controller.enqueue(name);
  }

  async reconcile(name: string): Promise<ReconcileResult | void> {
    const minion = this.opts.minions.get(name);
    if (!minion) return;
    const now = this.clock.now();
    const last = Math.max(this.lastHeard.get(name) ?? this.startedAt, this.startedAt);
    const { verdict, nextCheckInMs } = judgeMinion(now, last, this.timeouts);
    const ready = readyCondition(minion);

    if (verdict === 'healthy') {
      this.evicted.delete(name);
      if (ready?.status !== 'True' && ready?.reason === STATUS_UNKNOWN_REASON) {
        await this.setReady(minion, { type: 'Ready', status: 'True', reason: 'MinionReady', message: 'heartbeat resumed' });
      }
      // Pods this controller marked not ready while the minion was silent are ready again: their
      // kubelet never saw the mark (it writes a status only when its own view changes).
      await this.restorePodsReady(this.opts.pods.byIndex(INDEX.nodeName, name));
      if (this.notReady.delete(name)) this.opts.recorder.normal(minion, 'MinionReady', `Minion ${name} is ready again`);
      return { requeueAfterMs: nextCheckInMs };
    }

    const silentS = Math.round((now - last) / 1000);
    if (ready?.status === 'True' || !ready) {
      await this.setReady(minion, {
        type: 'Ready',
        status: 'Unknown',
        reason: STATUS_UNKNOWN_REASON,
        message: `Kubelet stopped posting status: no heartbeat for ${silentS}s`,
      });
    }
    if (!this.notReady.has(name)) {
      this.notReady.add(name);
      this.log.warn({ minion: name, silentS }, 'minion not ready');
      this.opts.recorder.warning(minion, 'MinionNotReady', `Minion ${name} has not heartbeated for ${silentS}s`);
    }
    const pods = this.opts.pods.byIndex(INDEX.nodeName, name);
    if (verdict === 'notReady') {
      await this.markPodsNotReady(pods);
      return { requeueAfterMs: nextCheckInMs };
    }
    if (pods.length > 0) {
      if (!this.evicted.has(name)) {
        this.opts.recorder.warning(minion, 'DeletingAllPods', `Deleting ${pods.length} pods from minion ${name}: no heartbeat for ${silentS}s`);
      }
      await this.evict(name, pods);
    }
    this.evicted.add(name);
    return { requeueAfterMs: nextCheckInMs };
  }

  private async setReady(minion: Minion, cond: Condition): Promise<void> {
    const now = new Date(this.clock.now()).toISOString();
    const conditions = minion.status?.conditions ?? [];
    const old = conditions.find((c) => c.type === 'Ready');
    const next: Condition = { ...cond, lastHeartbeatTime: old?.lastHeartbeatTime, lastTransitionTime: old?.status === cond.status ? old.lastTransitionTime : now };
    if (next.lastHeartbeatTime === undefined) delete next.lastHeartbeatTime;
    // Conflict (a heartbeat landed meanwhile) requeues: the next run judges with the news.
    await this.opts.store.updateStatus<Minion>({
      ...minion,
      status: { ...(minion.status ?? {}), conditions: [...conditions.filter((c) => c.type !== 'Ready'), next] },
    });
  }

  /** Undoes markPodsNotReady for pods whose Ready condition is still our mark (a kubelet write since replaced it). */
  private restorePodsReady(pods: Pod[]): Promise<void> {
    const at = new Date(this.clock.now()).toISOString();
    return this.rewriteReady(pods, (ready) => ready?.reason === POD_MINION_NOT_READY, () => ({ type: 'Ready', status: 'True', lastTransitionTime: at }));
  }

  private markPodsNotReady(pods: Pod[]): Promise<void> {
    return this.rewriteReady(
      pods,
      (ready) => ready?.status === 'True',
      (ready, p) => ({ ...ready, status: 'False', reason: POD_MINION_NOT_READY, message: `minion ${p.spec.nodeName} is not ready` }),
    );
  }

  /** Writes `next` of the Ready condition of each pod whose Ready condition passes `when`; a pod deleted meanwhile is skipped. */
  private async rewriteReady(pods: Pod[], when: (ready: Condition | undefined) => boolean, next: (ready: Condition, pod: Pod) => Condition): Promise<void> {
    const results = await Promise.allSettled(
      pods
        .filter((p) => when(p.status?.conditions?.find((c) => c.type === 'Ready')))
        .map((p) => {
          const conditions = (p.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? next(c, p) : c));
          return this.opts.store.updateStatus<Pod>({ ...p, status: { ...p.status, conditions } });
        }),
    );
    const failed = results.find((r) => r.status === 'rejected' && !(r.reason instanceof NotFoundError)) as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
  }

  private async evict(name: string, pods: Pod[]): Promise<void> {
    const results = await Promise.allSettled(
      pods.map(async (p) => {
        await this.opts.store.delete('pods', p.metadata.namespace, p.metadata.name, { preconditions: { uid: p.metadata.uid } });
        this.log.info({ minion: name, pod: p.metadata.name }, 'evicted pod');
      }),
    );
    const failed = results.find(
      (r) => r.status === 'rejected' && !(r.reason instanceof NotFoundError) && !(r.reason instanceof ConflictError),
    ) as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
  }

  private startLeasePoll(list: () => Promise<LiveLease[]>): void {
    const abort = new AbortController();
    this.pollAbort = abort;
    const every = this.opts.leasePollMs ?? Math.min(10_000, Math.max(250, this.timeouts.graceMs / 4));
    this.pollLoop = (async () => {
      let failures = 0;
      while (!abort.signal.aborted) {
        try {
          const now = this.clock.now();
          for (const l of await list()) this.heard(l.name, now - l.silentMs);
          failures = 0;
        } catch (err) {
          failures++;
          if (failures >= 3) this.log.warn({ err, failures }, 'cannot read minion leases');
        }
        // On failure back off (up to 8 x the period); heartbeat times still count meanwhile.
        await this.clock.sleep(every * Math.min(8, 2 ** Math.max(0, failures - 1)), abort.signal);
      }
    })();
  }
}
