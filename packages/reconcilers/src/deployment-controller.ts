// The deployment controller: carries out each Deployment's rollout with replication controllers.
// One RC per template revision, named `<deployment>-<hash of the template>`, owned by the deployment,
// its selector and template carrying `pod-template-hash` so the RCs never share pods. reconcile(key)
// reads the deployment, its RCs and their pods from the caches, makes sure the RC of the current
// template exists (with the next revision number), applies planScaling() (rolling or Recreate, see
// rollout-plan.ts), trims the revision history and writes status with the Progressing and Available
// conditions, and ReplicaFailure while one of its RCs cannot create pods (replica-failure.ts). Every step is an absolute target computed from what is there, so a restart at any
// moment (or a second run of the same step) carries on where the cluster stands.
import {
  AlreadyExistsError,
  Clock,
  ConflictError,
  Condition,
  Deployment,
  DeploymentStatus,
  metaNamespaceKey,
  NotFoundError,
  ObjectStore,
  Pod,
  realClock,
  ReplicationController,
  splitMetaNamespaceKey,
} from '@coxswain/objects';
import { createLogger, Logger } from '@coxswain/process';
import { Controller, EventRecorder } from '@coxswain/client';
import { CacheReader, Handlers, INDEX } from './object-cache';
import { rcOwner } from './owner-refs';
import { deploymentReplicaFailure } from './replica-failure';
import {
  CHANGE_CAUSE_ANNOTATION,
  countRc,
  DEFAULT_PROGRESS_DEADLINE_SECONDS,
  DEFAULT_REVISION_HISTORY_LIMIT,
  planScaling,
  POD_TEMPLATE_HASH,
  RcCounts,
  REVISION_ANNOTATION,
  revisionOf,
  statusCounts,
  stuckReason,
  templateHash,
} from './rollout-plan';

export interface DeploymentControllerOptions {
  store: ObjectStore;
  deployments: CacheReader<Deployment>;
  controllers: CacheReader<ReplicationController>;
  pods: CacheReader<Pod>;
  recorder: EventRecorder;
  workers?: number;
  clock?: Clock;
  logger?: Logger;
}

/** The deployment that owns an object (its controller owner ref of kind Deployment). */
export function deploymentOwner(obj: { metadata: ReplicationController['metadata'] }): string | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Deployment')?.name;
}

export class DeploymentController {
  readonly controller: Controller;
  private readonly opts: DeploymentControllerOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** The RCs this process wrote last, by key: newer than a cache that has not caught up yet. */
  private readonly written = new Map<string, ReplicationController>();

  constructor(opts: DeploymentControllerOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger ?? createLogger('deployment-controller');
    this.controller = new Controller({ name: 'deployment-controller', reconcile: (k) => this.reconcile(k), workers: opts.workers ?? 2, clock: this.clock, logger: this.log });
  }

  readonly deploymentHandlers: Handlers<Deployment> = {
    onAdd: (d) => this.controller.enqueue(metaNamespaceKey(d)),
    onUpdate: (_old, d) => this.controller.enqueue(metaNamespaceKey(d)),
    onDelete: (d) => this.controller.enqueue(metaNamespaceKey(d)),
  };

  readonly controllerHandlers: Handlers<ReplicationController> = {
    onAdd: (rc) => this.enqueueOwnerOf(rc),
    onUpdate: (_old, rc) => this.enqueueOwnerOf(rc),
    onDelete: (rc) => this.enqueueOwnerOf(rc),
  };

  readonly podHandlers: Handlers<Pod> = {
    onAdd: (pod) => this.enqueueForPod(pod),
    onUpdate: (_old, pod) => this.enqueueForPod(pod),
    onDelete: (pod) => this.enqueueForPod(pod),
  };

  start(): void {
    this.controller.start();
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private enqueueOwnerOf(rc: ReplicationController): void {
    const owner = deploymentOwner(rc);
    if (owner) this.controller.enqueue(metaNamespaceKey(rc.metadata.namespace, owner));
  }

  private enqueueForPod(pod: Pod): void {
    const owner = rcOwner(pod);
    if (!owner) return;
    const rc = this.opts.controllers.get(metaNamespaceKey(pod.metadata.namespace, owner.name));
    if (rc) this.enqueueOwnerOf(rc);
  }

  /** The deployment's RCs: the cache's, or this process's own later write of one. */
  private ownedRcs(d: Deployment): ReplicationController[] {
    const cached = this.opts.controllers.byIndex(INDEX.controllerUid, d.metadata.uid ?? '');
    return cached.map((rc) => {
      const mine = this.written.get(metaNamespaceKey(rc));
      return mine && Number(mine.metadata.resourceVersion) > Number(rc.metadata.resourceVersion) ? mine : rc;
    });
  }

  private counts(d: Deployment, rc: ReplicationController, now: number): RcCounts & { nextAvailableAt?: number } {
    const pods = this.opts.pods.byIndex(INDEX.controllerUid, rc.metadata.uid ?? '');
    return countRc(rc, pods, d.spec.minReadySeconds ?? 0, now);
  }

  async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const d = this.opts.deployments.get(key);
    if (!d) return this.collectOrphans(key);
    const now = this.clock.now();
    let rcs = this.ownedRcs(d);
    const hash = templateHash(d.spec.template);
    let newRc = rcs.find((rc) => rc.metadata.name === `${d.metadata.name}-${hash}`);

    if (!d.spec.paused) {
      const maxRevision = rcs.reduce((m, rc) => Math.max(m, revisionOf(rc)), 0);
      if (!newRc) newRc = await this.createNewRc(d, hash, maxRevision + 1);
      else if (revisionOf(newRc) < maxRevision || changeCause(newRc) !== changeCause(d)) {
        // A rollback (or a repeat of an old template): its RC becomes the newest revision.
        newRc = await this.setRevision(newRc, revisionOf(newRc) < maxRevision ? maxRevision + 1 : revisionOf(newRc), changeCause(d));
      }
      rcs = [newRc, ...rcs.filter((rc) => rc.metadata.name !== newRc!.metadata.name)];
    }

    const newCounts = newRc ? this.counts(d, newRc, now) : undefined;
    const oldCounts = rcs.filter((rc) => rc !== newRc).map((rc) => this.counts(d, rc, now));
    if (newCounts && !d.spec.paused) {
      for (const step of planScaling(d, newCounts, oldCounts)) await this.scale(d, step.rc, step.replicas);
      await this.trimHistory(d, oldCounts);
    }

    // Status from the counts as they stand after this pass's writes are reflected in the specs.
    const after = (c: RcCounts): RcCounts => ({ ...c, rc: this.written.get(metaNamespaceKey(c.rc)) ?? c.rc });
    const all = [...(newCounts ? [after(newCounts)] : []), ...oldCounts.map(after)];
    const status = statusCounts(d, newCounts && after(newCounts), all);
    const complete = !!newCounts && newCounts.available >= d.spec.replicas && newCounts.pods === d.spec.replicas && oldCounts.every((o) => o.pods === 0);
    status.conditions = this.conditions(d, status, complete, newCounts, now);
    // The RCs as read (newest known status), not this pass's scale writes, whose status may be older.
    const failure = deploymentReplicaFailure([...(newCounts ? [newCounts.rc] : []), ...oldCounts.map((c) => c.rc)]);
    if (failure) status.conditions.push(this.keepTransitionTime(d, failure, now));
    await this.writeStatus(d, status);

    // Wake up when a pod's minReadySeconds run out or the progress deadline passes.
    const wakes = [newCounts, ...oldCounts].map((c) => c?.nextAvailableAt).filter((t): t is number => t !== undefined);
    const progressing = status.conditions.find((c) => c.type === 'Progressing');
    if (!complete && !d.spec.paused && progressing?.status === 'True' && progressing.lastUpdateTime) {
      wakes.push(Date.parse(progressing.lastUpdateTime) + deadlineSeconds(d) * 1000 + 1);
    }
    if (wakes.length > 0) return { requeueAfterMs: Math.max(10, Math.min(...wakes) - now) };
  }

  /** A deleted deployment's RCs go with it (and the replication manager deletes their pods). */
  private async collectOrphans(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const mine = this.opts.controllers.byIndex(INDEX.namespace, namespace ?? '').filter((rc) => deploymentOwner(rc) === name);
    if (mine.length === 0) return;
    // The cache may simply be behind: ask etcd whether the deployment really is gone.
    let liveUid: string | undefined;
    try {
      liveUid = (await this.opts.store.get<Deployment>('deployments', namespace, name)).metadata.uid;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    for (const rc of mine) {
      if (rc.metadata.ownerReferences?.some((r) => r.uid === liveUid)) continue;
      try {
        await this.opts.store.delete('replicationControllers', rc.metadata.namespace, rc.metadata.name);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
  }

  private async createNewRc(d: Deployment, hash: string, revision: number): Promise<ReplicationController> {
    const labels = { ...(d.spec.template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
    const annotations: Record<string, string> = { [REVISION_ANNOTATION]: String(revision) };
    const cause = changeCause(d);
    if (cause) annotations[CHANGE_CAUSE_ANNOTATION] = cause;
    const rc: ReplicationController = {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels,
        annotations,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid!, controller: true }],
      },
      spec: {
        replicas: 0,
        selector: { ...d.spec.selector.matchLabels, [POD_TEMPLATE_HASH]: hash },
        template: { ...d.spec.template, metadata: { ...d.spec.template.metadata, labels } },
      },
    };
    let created: ReplicationController;
    try {
      created = await this.opts.store.create(rc);
      this.opts.recorder.normal(d, 'ScalingReplicationController', `Created replication controller ${rc.metadata.name} (revision ${revision})`);
    } catch (err) {
      // Made by an earlier run whose write the cache has not shown yet (or before a restart).
      if (!(err instanceof AlreadyExistsError)) throw err;
      created = await this.opts.store.get<ReplicationController>('replicationControllers', d.metadata.namespace, rc.metadata.name);
    }
    this.remember(created);
    return created;
  }

  private async setRevision(rc: ReplicationController, revision: number, cause: string | undefined): Promise<ReplicationController> {
    const updated = await this.opts.store.guaranteedUpdate<ReplicationController>('replicationControllers', rc.metadata.namespace, rc.metadata.name, (cur) => {
      const annotations: Record<string, string> = { ...(cur.metadata.annotations ?? {}), [REVISION_ANNOTATION]: String(revision) };
      if (cause) annotations[CHANGE_CAUSE_ANNOTATION] = cause;
      else delete annotations[CHANGE_CAUSE_ANNOTATION];
      return { ...cur, metadata: { ...cur.metadata, annotations } };
    });
    this.remember(updated);
    return updated;
  }

  private async scale(d: Deployment, rc: ReplicationController, replicas: number): Promise<void> {
    const from = rc.spec.replicas;
    const updated = await this.opts.store.guaranteedUpdate<ReplicationController>('replicationControllers', rc.metadata.namespace, rc.metadata.name, (cur) => ({
      ...cur,
      spec: { ...cur.spec, replicas },
    }));
    this.remember(updated);
    this.opts.recorder.normal(d, 'ScalingReplicationController', `Scaled ${replicas > from ? 'up' : 'down'} replication controller ${rc.metadata.name} to ${replicas}`);
  }

  /** Old RCs scaled to 0 with no pods left, oldest first, beyond revisionHistoryLimit: deleted. */
  private async trimHistory(d: Deployment, old: readonly RcCounts[]): Promise<void> {
    const limit = d.spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
    const idle = old.filter((o) => o.rc.spec.replicas === 0 && o.pods === 0).sort((a, b) => revisionOf(a.rc) - revisionOf(b.rc));
    for (const o of idle.slice(0, Math.max(0, idle.length - limit))) {
      try {
        await this.opts.store.delete('replicationControllers', o.rc.metadata.namespace, o.rc.metadata.name);
        this.written.delete(metaNamespaceKey(o.rc));
        this.opts.recorder.normal(d, 'DeletedReplicationController', `Deleted replication controller ${o.rc.metadata.name} (revision ${revisionOf(o.rc)}): beyond revisionHistoryLimit ${limit}`);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
  }

  private conditions(d: Deployment, status: DeploymentStatus, complete: boolean, newCounts: RcCounts | undefined, now: number): Condition[] {
    const nowIso = new Date(now).toISOString();
    const before = d.status?.conditions ?? [];
    const prev = (type: string) => before.find((c) => c.type === type);
    const set = (c: Condition): Condition => this.keepTransitionTime(d, c, now);
    const available = set(
      (status.availableReplicas ?? 0) >= d.spec.replicas - this.maxUnavailableOf(d)
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
    );
    const p = prev('Progressing');
    const rcName = newCounts?.rc.metadata.name ?? '';
    let progressing: Condition;
    if (d.spec.paused) {
      const since = p?.reason === 'DeploymentPaused' ? p.lastUpdateTime : nowIso;
      progressing = { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused', lastUpdateTime: since };
    } else if (complete) {
      const unchanged = p?.reason === 'NewReplicationControllerAvailable' && p.message?.includes(`"${rcName}"`);
      progressing = { type: 'Progressing', status: 'True', reason: 'NewReplicationControllerAvailable', message: `Replication controller "${rcName}" has successfully progressed.`, lastUpdateTime: unchanged ? p!.lastUpdateTime : nowIso };
    } else {
      // Progress: the counts moved, the spec changed, or the deployment was paused before.
      const old = d.status ?? {};
      const moved =
        !p || p.reason === 'DeploymentPaused' || p.reason === 'NewReplicationControllerAvailable' || old.observedGeneration !== d.metadata.generation ||
        old.updatedReplicas !== status.updatedReplicas || old.availableReplicas !== status.availableReplicas || old.replicas !== status.replicas || old.readyReplicas !== status.readyReplicas;
      const lastUpdate = moved || !p.lastUpdateTime ? nowIso : p.lastUpdateTime;
      const overdue = now - Date.parse(lastUpdate) > deadlineSeconds(d) * 1000;
      if (overdue || (p?.reason === 'ProgressDeadlineExceeded' && !moved)) {
        const why = stuckReason(newCounts?.notReady ?? []) ?? 'no pods became available';
        progressing = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `Replication controller "${rcName}" has timed out progressing: ${why}`, lastUpdateTime: lastUpdate };
        if (p?.reason !== 'ProgressDeadlineExceeded') this.opts.recorder.warning(d, 'ProgressDeadlineExceeded', progressing.message!);
      } else {
        progressing = { type: 'Progressing', status: 'True', reason: 'ReplicationControllerUpdated', message: `Replication controller "${rcName}" is progressing.`, lastUpdateTime: lastUpdate };
      }
    }
    if (progressing.reason === 'NewReplicationControllerAvailable' && p?.reason !== 'NewReplicationControllerAvailable') {
      this.opts.recorder.normal(d, 'RolloutComplete', progressing.message!);
    }
    return [available, set(progressing)];
  }

  /** `c` with the lastTransitionTime of the deployment's condition of its type when its status is unchanged, else now. */
  private keepTransitionTime(d: Deployment, c: Condition, now: number): Condition {
    const p = d.status?.conditions?.find((x) => x.type === c.type);
    return { ...c, lastTransitionTime: p && p.status === c.status && p.lastTransitionTime ? p.lastTransitionTime : new Date(now).toISOString() };
  }

  private maxUnavailableOf(d: Deployment): number {
    if (d.spec.strategy?.type === 'Recreate') return d.spec.replicas;
    const v = d.spec.strategy?.rollingUpdate?.maxUnavailable ?? '25%';
    return typeof v === 'number' ? v : Math.floor((parseInt(v, 10) * d.spec.replicas) / 100);
  }

  private async writeStatus(d: Deployment, status: DeploymentStatus): Promise<void> {
    if (JSON.stringify(d.status ?? {}) === JSON.stringify(status)) return;
    try {
      await this.opts.store.updateStatus<Deployment>({ ...d, status }, { cached: d });
    } catch (err) {
      // A newer deployment is on its way to the cache and enqueues the key again.
      if (err instanceof NotFoundError || err instanceof ConflictError) return;
      throw err;
    }
  }

  private remember(rc: ReplicationController): void {
    this.written.set(metaNamespaceKey(rc), rc);
  }
}

function changeCause(o: { metadata: Deployment['metadata'] }): string | undefined {
  return o.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION];
}

function deadlineSeconds(d: Deployment): number {
  return d.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
}
