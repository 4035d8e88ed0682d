// The replication manager: keeps each ReplicationController's count of active pods at `replicas`.
// reconcile(rcKey) reads the controller and its candidate pods from the informer caches and applies
// planReplication(): adopt orphans, release pods that stopped matching, create or delete, then write
// status (replicas, readyReplicas, observedGeneration, and ReplicaFailure while pods cannot be created).
//
// Candidates come from indexes, never from a scan of the namespace (with 1,000 controllers of 20
// pods in one namespace a scan read 20,000 pods per reconcile): the pods whose controller ref names
// this uid, plus the orphans carrying one of the selector's labels. Any pod outside that set could
// only be ignored by the plan. Likewise a pod event enqueues only its owner, or for an orphan only
// the controllers filed under one of its labels whose selector matches.
//
// Creations go through one GroupCommit shared by all workers (store.createMany): while a txn is in
// flight the next fills up with the pods of every controller being scaled, so 20,000 pods take a few
// hundred etcd transactions, not 20,000. Each controller still creates in slow-start rounds (1, 2,
// 4, ...) so a create that always fails (quota, validation) is tried a few times, not `burst` times.
//
// Expectations guard against a lagging cache: after asking for N creations (or deletions) the
// manager does nothing more for that controller until its informer has seen them (or they expire).
// Deleting a controller deletes its pods; so does finding pods owned by a controller uid that no
// longer exists (checked against etcd itself, never against a cache that may simply be behind).
import { Clock, ConflictError, ForbiddenError, metaNamespaceKey, NotFoundError, ObjectStore, OwnerReference, Pod, realClock, ReplicationController, splitMetaNamespaceKey } from '@coxswain/objects';
import { createLogger, Logger } from '@coxswain/process';
import { EventRecorder, Controller, GroupCommit } from '@coxswain/client';
import { Expectations } from './expectations';
import { selectorMatches } from './labels';
import { CacheReader, Handlers, INDEX, labelPairKey } from './object-cache';
import { rcOwner } from './owner-refs';
import { planReplication, podFromTemplate } from './replication-plan';
import { replicaFailureConditions, type ReplicaOutcome } from './replica-failure';

/** How soon a controller refused by a quota tries again without a pod event to prompt it. */
const QUOTA_RETRY_MS = 10_000;

export interface ReplicationManagerOptions {
  store: ObjectStore;
  pods: CacheReader<Pod>;
  controllers: CacheReader<ReplicationController>;
  recorder: EventRecorder;
  workers?: number;
  /** How long an unmet expectation holds a controller back. Default 5 min. */
  expectationTimeoutMs?: number;
  /** Most creations or deletions in one run. Default 500. */
  burst?: number;
  clock?: Clock;
  logger?: Logger;
}

export class ReplicationManager {
  readonly controller: Controller;
  readonly expectations: Expectations;
  private readonly opts: ReplicationManagerOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  readonly stats = { created: 0, deleted: 0 };
  /** Pod creations of every worker, several to an etcd transaction; its stats count the transactions. */
  readonly creates: GroupCommit<Pod, Pod>;

  constructor(opts: ReplicationManagerOptions) {
    this.opts = opts;
    const clock = (this.clock = opts.clock ?? realClock);
    this.log = opts.logger ?? createLogger('replication-manager');
    // 64 pods: one put each (two if created bound), within etcd's 128 ops per txn.
    this.creates = new GroupCommit<Pod, Pod>({ commit: (pods) => opts.store.createMany(pods), maxBatch: 64, maxInFlight: 2 });
    this.expectations = new Expectations(opts.expectationTimeoutMs ?? 5 * 60_000, clock);
    this.controller = new Controller({ name: 'replication-manager', reconcile: (k) => this.reconcile(k), workers: opts.workers ?? 4, clock, logger: this.log });
  }

  readonly controllerHandlers: Handlers<ReplicationController> = {
    onAdd: (rc) => this.controller.enqueue(metaNamespaceKey(rc)),
    onUpdate: (_old, rc) => this.controller.enqueue(metaNamespaceKey(rc)),
    onDelete: (rc) => {
      this.expectations.delete(metaNamespaceKey(rc));
      this.controller.enqueue(metaNamespaceKey(rc));
    },
  };

  readonly podHandlers: Handlers<Pod> = {
    onAdd: (pod) => {
      const owner = rcOwner(pod);
      if (owner) {
        const key = metaNamespaceKey(pod.metadata.namespace, owner.name);
        this.expectations.creationObserved(key);
        this.controller.enqueue(key);
      } else this.enqueueMatching(pod);
    },
    onUpdate: (old, pod) => {
      const a = rcOwner(old);
      const b = rcOwner(pod);
      if (a) this.controller.enqueue(metaNamespaceKey(old.metadata.namespace, a.name));
      if (b && b.uid !== a?.uid) this.controller.enqueue(metaNamespaceKey(pod.metadata.namespace, b.name));
      // An orphan (or one whose labels changed) may now be wanted by a controller.
      if (!b) this.enqueueMatching(pod);
    },
    onDelete: (pod) => {
      const owner = rcOwner(pod);
      if (owner) {
        const key = metaNamespaceKey(pod.metadata.namespace, owner.name);
        this.expectations.deletionObserved(key, metaNamespaceKey(pod));
        this.controller.enqueue(key);
      }
    },
  };

  start(): void {
    this.controller.start();
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  /** Enqueues the controllers whose selector matches the (orphan) pod: each is filed under one of its pairs. */
  private enqueueMatching(pod: Pod): void {
    const ns = pod.metadata.namespace;
    for (const [k, v] of Object.entries(pod.metadata.labels ?? {})) {
      for (const rc of this.opts.controllers.byIndex(INDEX.selectorKey, labelPairKey(ns, k, v))) {
        if (selectorMatches(rc.spec.selector, pod.metadata.labels)) this.controller.enqueue(metaNamespaceKey(rc));
      }
    }
  }

  /** The pods planReplication must see: the controller's own, and orphans that may match its selector. */
  private candidates(rc: ReplicationController): Pod[] {
    const owned = rc.metadata.uid ? this.opts.pods.byIndex(INDEX.controllerUid, rc.metadata.uid) : [];
    // An orphan matching the selector carries every pair of it: the smallest pair's orphans suffice.
    let orphans: Pod[] | undefined;
    for (const [k, v] of Object.entries(rc.spec.selector ?? {})) {
      const some = this.opts.pods.byIndex(INDEX.orphanLabel, labelPairKey(rc.metadata.namespace, k, v));
      if (!orphans || some.length < orphans.length) orphans = some;
      if (orphans.length === 0) break;
    }
    return orphans && orphans.length > 0 ? owned.concat(orphans) : owned;
  }

  async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const rc = this.opts.controllers.get(key);
    const { namespace, name } = splitMetaNamespaceKey(key);
    await this.collectOrphans(namespace, name, rc?.metadata.uid, this.opts.pods.byIndex(INDEX.rcController, key));
    if (!rc) return;

    const plan = planReplication(rc, this.candidates(rc), this.opts.burst ?? 500);
    if (plan.release.length > 0) await this.release(rc, plan.release);
    if (!this.expectations.satisfied(key)) {
      // Our own creations/deletions are still on their way to the cache: counting now would lie.
      await this.writeStatus(rc, plan.status, { skipped: true });
      return { requeueAfterMs: 30_000 };
    }
    if (plan.adopt.length > 0) await this.adopt(rc, plan.adopt);
    let failed: Error | undefined;
    if (plan.create > 0) failed = await this.createPods(rc, key, plan.create);
    else if (plan.delete.length > 0) await this.deletePods(rc, key, plan.delete);
    await this.writeStatus(rc, plan.status, failed ? { createFailed: failed } : { ok: true });
    // A quota is not a fault to retry at once: a pod deleted in the namespace (an event of one of
    // ours) or this timer tries again.
    if (failed instanceof ForbiddenError) return { requeueAfterMs: QUOTA_RETRY_MS };
    if (failed) throw failed;
  }

  /** Of the pods owned (by name) by this key, those whose controller uid is not the current one: their controller is gone. */
  private async collectOrphans(namespace: string, name: string, currentUid: string | undefined, ownedByName: Pod[]): Promise<void> {
    const stale = ownedByName.filter((p) => {
      const o = rcOwner(p);
      return o && o.name === name && o.uid !== currentUid;
    });
    if (stale.length === 0) return;
    // The cache may simply be behind: ask etcd whether the controller really is gone.
    let liveUid: string | undefined;
    try {
      liveUid = (await this.opts.store.get<ReplicationController>('replicationControllers', namespace, name)).metadata.uid;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    const errors: unknown[] = [];
    await Promise.all(
      stale
        .filter((p) => rcOwner(p)!.uid !== liveUid)
        .map(async (p) => {
          try {
            await this.opts.store.delete('pods', namespace, p.metadata.name, { preconditions: { uid: p.metadata.uid } });
            this.stats.deleted++;
            this.opts.recorder.normal(p, 'SuccessfulDelete', `Deleted pod ${p.metadata.name}: its replication controller ${name} is gone`);
          } catch (err) {
            if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) errors.push(err);
          }
        }),
    );
    if (errors.length > 0) throw errors[0];
  }

  private async adopt(rc: ReplicationController, pods: Pod[]): Promise<void> {
    // Adopting into a controller that is being deleted would orphan-collect the pods next: check it is live.
    const live = await this.opts.store.get<ReplicationController>('replicationControllers', rc.metadata.namespace, rc.metadata.name);
    if (live.metadata.uid !== rc.metadata.uid) throw new ConflictError('replicationControllers', rc.metadata.name, 'recreated while adopting');
    const ref: OwnerReference = { apiVersion: 'v1', kind: 'ReplicationController', name: rc.metadata.name, uid: rc.metadata.uid ?? '', controller: true };
    await Promise.all(
      pods.map((p) =>
        this.opts.store
          .update<Pod>({ ...p, metadata: { ...p.metadata, ownerReferences: [...(p.metadata.ownerReferences ?? []), ref] } })
          .then(() => this.log.info({ rc: rc.metadata.name, pod: p.metadata.name }, 'adopted pod')),
      ),
    );
  }

  private async release(rc: ReplicationController, pods: Pod[]): Promise<void> {
    await Promise.all(
      pods.map((p) =>
        this.opts.store
          .update<Pod>({ ...p, metadata: { ...p.metadata, ownerReferences: p.metadata.ownerReferences?.filter((r) => r.uid !== rc.metadata.uid) } })
          .then(() => this.log.info({ rc: rc.metadata.name, pod: p.metadata.name }, 'released pod'))
          .catch((err) => {
            if (!(err instanceof NotFoundError)) throw err;
          }),
      ),
    );
  }

  /**
   * Creates in growing rounds (1, 2, 4, ...) so that a failing create is tried a few times, not 500.
   * Each round's pods go to the shared GroupCommit, so they share transactions with other controllers'.
   * Stops at the first refusal and returns it (a namespace's quota or limit range is a 403 whose
   * message names the quota and its figures), each failure recorded as a FailedCreate event.
   */
  private async createPods(rc: ReplicationController, key: string, n: number): Promise<Error | undefined> {
    this.expectations.expectCreations(key, n);
    const template = podFromTemplate(rc);
    let remaining = n;
    let batch = 1;
    let firstError: Error | undefined;
    while (remaining > 0 && firstError === undefined) {
      const size = Math.min(batch, remaining);
      remaining -= size;
      // A round goes to the batcher as one group: an idle batcher sends it as one txn.
      const round = this.creates.submitAll(Array.from({ length: size }, () => structuredClone(template)));
      await Promise.all(
        round.map(async (created) => {
          try {
            const pod = await created;
            this.stats.created++;
            this.opts.recorder.normal(rc, 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
          } catch (err) {
            this.expectations.creationObserved(key); // it will never be observed
            firstError ??= err as Error;
            this.opts.recorder.warning(rc, 'FailedCreate', `Error creating pod: ${(err as Error).message}`);
          }
        }),
      );
      batch *= 2;
    }
    // The ones never attempted will never be observed either.
    for (let i = 0; i < remaining; i++) this.expectations.creationObserved(key);
    return firstError;
  }

  private async deletePods(rc: ReplicationController, key: string, pods: Pod[]): Promise<void> {
    this.expectations.expectDeletions(key, pods.map((p) => metaNamespaceKey(p)));
    let firstError: unknown;
    await Promise.all(
      pods.map(async (p) => {
        try {
          await this.opts.store.delete('pods', p.metadata.namespace, p.metadata.name, { preconditions: { uid: p.metadata.uid } });
          this.stats.deleted++;
          this.opts.recorder.normal(rc, 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
        } catch (err) {
          this.expectations.deletionObserved(key, metaNamespaceKey(p));
          if (!(err instanceof NotFoundError)) firstError ??= err;
        }
      }),
    );
    if (firstError !== undefined) throw firstError;
  }

  private async writeStatus(rc: ReplicationController, counts: ReplicationController['status'] & object, outcome: ReplicaOutcome): Promise<void> {
    const conditions = replicaFailureConditions(rc.status?.conditions, outcome, new Date(this.clock.now()));
    const status = conditions ? { ...counts, conditions } : counts;
    const cur = rc.status;
    if (
      cur && cur.replicas === status.replicas && cur.readyReplicas === status.readyReplicas && cur.observedGeneration === status.observedGeneration &&
      JSON.stringify(cur.conditions) === JSON.stringify(status.conditions)
    ) return;
    try {
      // `rc` is the informer's copy at its resourceVersion: write without reading first (one round
      // trip; a stale copy is a ConflictError either way).
      await this.opts.store.updateStatus<ReplicationController>({ ...rc, status }, { cached: rc });
    } catch (err) {
      // A newer controller (or none) is on its way to the cache, and its event enqueues this key
      // again: no retry needed. An error here would requeue through the queue's overall rate limit
      // (10/s), and a copy one status write behind is routine while pods come up by the thousand.
      if (err instanceof NotFoundError || err instanceof ConflictError) {
        this.log.debug({ rc: rc.metadata.name, err: (err as Error).message }, 'status not written: the cached controller is stale');
        return;
      }
      throw err;
    }
  }
}
