// The five reconciler processes, as functions the `coxswain` binary calls with parsed flags:
//   coxswain scheduler | replication | endpoints | deployments | minion-controller
//     --etcd-servers URL[,URL] [--leader-elect=true] [--healthz-port P] (+ each one's own flags)
// Each returns a handle with `running`, `done` and `stop()`.
import { metaNamespaceKey, type Deployment, type KubeObject, type Endpoints, type HorizontalPodAutoscaler, type Minion, type Pod, type ReplicationController, type Service } from '@coxswain/objects';
import { MetricsScraper, readKubeletCredential } from '@coxswain/client';
import { HorizontalAutoscaler } from './horizontal-autoscaler';
import { NamespaceController } from './namespace-controller';
import { DeploymentController } from './deployment-controller';
import { EndpointsController } from './endpoints-controller';
import { periodicPass, withPass } from './periodic-pass';
import { PodCidrRepair, PortalRepair } from './range-repair';
import { QuotaRepair } from './quota-repair';
import { MinionLifecycleController } from './minion-lifecycle-controller';
import { listLiveMinionLeases } from '@coxswain/registry';
import type { PackingPolicy } from './priorities';
import { ReconcilerHandle, ReconcilerProcessOptions, runReconcilerProcess } from './reconciler-process';
import { ReplicationManager } from './replication-manager';
import { Scheduler } from './scheduler';

export interface SchedulerProcessOptions extends ReconcilerProcessOptions {
  /** `spread` (default: least requested first) or `binpack` (most requested first). */
  packing?: PackingPolicy;
  workers?: number;
  random?: () => number;
}

export function runScheduler(opts: SchedulerProcessOptions): Promise<ReconcilerHandle> {
  return runReconcilerProcess('scheduler', opts, (ctx) => {
    const pods = ctx.informer<Pod>('pods');
    const minions = ctx.informer<Minion>('minions');
    const services = ctx.informer<Service>('services');
    const s = new Scheduler({ store: ctx.store, pods, recorder: ctx.recorder, policy: opts.packing, workers: opts.workers, random: opts.random, logger: ctx.logger });
    // Minions and services first: the pod handler's decisions read them.
    minions.addEventHandler(s.minionHandlers);
    services.addEventHandler(s.serviceHandlers);
    pods.addEventHandler(s.podHandlers);
    return {
      start: () => s.start(),
      stop: () => s.stop(),
      health: () => ({ ...s.stats, unschedulable: s.unschedulableCount(), queue: s.controller.queue.len() }),
    };
  });
}

export interface ReplicationProcessOptions extends ReconcilerProcessOptions {
  workers?: number;
  expectationTimeoutMs?: number;
  /** The HorizontalPodAutoscaler controller's pass over each HPA (default 15 s). */
  hpaSyncMs?: number;
  /** How long a scale-down waits for the highest recommendation to age out (default 5 min). */
  hpaDownscaleStabilizationMs?: number;
  /** How often the autoscaler's metrics pipeline scrapes the kubelets (default 15 s). */
  metricResolutionMs?: number;
  /** The kubelets' bearer secret, sent when scraping /stats/summary (docs/kubelet.md). */
  kubeletCredentialFile?: string;
  /** How often the leader checks each ResourceQuota's usage against its namespace (default 60 s). */
  quotaRepairIntervalMs?: number;
}

export function runReplicationManager(opts: ReplicationProcessOptions): Promise<ReconcilerHandle> {
  return runReconcilerProcess('replication-manager', opts, (ctx) => {
    const pods = ctx.informer<Pod>('pods');
    const controllers = ctx.informer<ReplicationController>('replicationControllers');
    const rm = new ReplicationManager({
      store: ctx.store,
      pods,
      controllers,
      recorder: ctx.recorder,
      workers: opts.workers,
      expectationTimeoutMs: opts.expectationTimeoutMs,
      logger: ctx.logger,
    });
    controllers.addEventHandler(rm.controllerHandlers);
    pods.addEventHandler(rm.podHandlers);
    // The autoscaler lives beside the replication manager (as in Kubernetes' controller-manager): it
    // changes replica counts, which the manager carries out. It reads CPU use from its own scrape of
    // the kubelets (the API server's figures live in that process's memory).
    const metrics = new MetricsScraper({
      store: ctx.store,
      intervalMs: opts.metricResolutionMs,
      log: ctx.logger,
      kubeletCredential: opts.kubeletCredentialFile === undefined ? undefined : readKubeletCredential(opts.kubeletCredentialFile),
    });
    const hpas = ctx.informer<HorizontalPodAutoscaler>('horizontalpodautoscalers');
    const autoscaler = new HorizontalAutoscaler({
      store: ctx.store,
      hpas,
      pods,
      controllers,
      deployments: ctx.informer<Deployment>('deployments'),
      metrics,
      recorder: ctx.recorder,
      syncPeriodMs: opts.hpaSyncMs,
      downscaleStabilizationMs: opts.hpaDownscaleStabilizationMs,
      logger: ctx.logger,
    });
    hpas.addEventHandler(autoscaler.hpaHandlers);
    // The scrape runs only while an HPA exists: nothing else reads its figures, and a cluster without
    // autoscalers should not pay for a second scrape of every kubelet (the API server has its own).
    let leading = false;
    let scraping = false;
    const followHpas = () => {
      const want = leading && hpas.list().length > 0;
      if (want && !scraping) {
        metrics.start();
        scraping = true;
      } else if (!want && scraping) {
        scraping = false;
        void metrics.stop();
      }
    };
    hpas.addEventHandler({ onAdd: followHpas, onDelete: followHpas });
    // And the quota usage repair (one leader: it follows what a namespace creates).
    const repair = new QuotaRepair({ store: ctx.store, storage: ctx.storage, logger: ctx.logger });
    // And the namespace controller, which empties and removes a namespace being deleted.
    const namespaces = ctx.informer<KubeObject>('namespaces');
    const namespaceController = new NamespaceController({ store: ctx.store, namespaces, logger: ctx.logger });
    namespaces.addEventHandler(namespaceController.controller.enqueueHandlers());
    const repairs = periodicPass('quota repair', () => repair.runOnce(), opts.quotaRepairIntervalMs ?? 60_000, ctx.logger);
    return {
      start: () => {
        rm.start();
        // After a (re)start, look at every controller once, including those whose pods are gone.
        for (const rc of controllers.list()) rm.controller.enqueue(metaNamespaceKey(rc));
        leading = true;
        followHpas();
        autoscaler.start();
        repairs.start();
        namespaceController.start();
      },
      stop: async () => {
        repairs.stop();
        await namespaceController.stop();
        await autoscaler.stop();
        leading = false;
        await metrics.stop();
        scraping = false;
        await rm.stop();
      },
      health: () => ({ ...rm.stats, queue: rm.controller.queue.len(), autoscalers: hpas.list().length }),
    };
  });
}

export interface EndpointsProcessOptions extends ReconcilerProcessOptions {
  workers?: number;
  /** How often the leader checks the portal allocator against the services (default 60 s). */
  portalRepairIntervalMs?: number;
}

/** The endpoints controller, and beside it (one leader for both: both follow services) the portal IP repair loop. */
export function runEndpointsController(opts: EndpointsProcessOptions): Promise<ReconcilerHandle> {
  return runReconcilerProcess('endpoints-controller', opts, (ctx) => {
    const pods = ctx.informer<Pod>('pods');
    const services = ctx.informer<Service>('services');
    const endpoints = ctx.informer<Endpoints>('endpoints');
    const ec = new EndpointsController({ store: ctx.store, pods, services, endpoints, workers: opts.workers, logger: ctx.logger });
    services.addEventHandler(ec.serviceHandlers);
    pods.addEventHandler(ec.podHandlers);
    endpoints.addEventHandler(ec.endpointsHandlers);
    const repair = new PortalRepair({ store: ctx.store, storage: ctx.storage, logger: ctx.logger });
    const repairs = periodicPass('portal repair', () => repair.runOnce(), opts.portalRepairIntervalMs ?? 60_000, ctx.logger);
    return withPass({ start: () => ec.start(), stop: () => ec.stop(), health: () => ({ queue: ec.controller.queue.len() }) }, repairs);
  });
}

export function runDeploymentController(opts: ReconcilerProcessOptions & { workers?: number }): Promise<ReconcilerHandle> {
  return runReconcilerProcess('deployment-controller', opts, (ctx) => {
    const deployments = ctx.informer<Deployment>('deployments');
    const controllers = ctx.informer<ReplicationController>('replicationControllers');
    const pods = ctx.informer<Pod>('pods');
    const dc = new DeploymentController({ store: ctx.store, deployments, controllers, pods, recorder: ctx.recorder, workers: opts.workers, logger: ctx.logger });
    deployments.addEventHandler(dc.deploymentHandlers);
    controllers.addEventHandler(dc.controllerHandlers);
    pods.addEventHandler(dc.podHandlers);
    return {
      start: () => {
        dc.start();
        // After a (re)start, look at every deployment once: the rollout carries on from what is there.
        for (const d of deployments.list()) dc.controller.enqueue(metaNamespaceKey(d));
      },
      stop: () => dc.stop(),
      health: () => ({ queue: dc.controller.queue.len() }),
    };
  });
}

export interface MinionControllerProcessOptions extends ReconcilerProcessOptions {
  /** --minion-grace-period (default 40 s). */
  gracePeriodMs?: number;
  /** --pod-eviction-timeout (default 5 min). */
  evictionTimeoutMs?: number;
  leasePollMs?: number;
  /** How often the leader checks the pod CIDR allocator against the minions (default 60 s). */
  podCidrRepairIntervalMs?: number;
}

/** The minion lifecycle controller, and beside it (both follow minions) the pod CIDR repair loop. */
export function runMinionController(opts: MinionControllerProcessOptions): Promise<ReconcilerHandle> {
  return runReconcilerProcess('minion-controller', opts, (ctx) => {
    const minions = ctx.informer<Minion>('minions');
    const pods = ctx.informer<Pod>('pods');
    const mc = new MinionLifecycleController({
      store: ctx.store,
      minions,
      pods,
      recorder: ctx.recorder,
      gracePeriodMs: opts.gracePeriodMs,
      evictionTimeoutMs: opts.evictionTimeoutMs,
      leasePollMs: opts.leasePollMs,
      logger: ctx.logger,
      listLiveLeases: () => listLiveMinionLeases(ctx.storage),
    });
    minions.addEventHandler(mc.minionHandlers);
    const repair = new PodCidrRepair({ store: ctx.store, storage: ctx.storage, logger: ctx.logger });
    const repairs = periodicPass('pod CIDR repair', () => repair.runOnce(), opts.podCidrRepairIntervalMs ?? 60_000, ctx.logger);
    return withPass({ start: () => mc.start(), stop: () => mc.stop(), health: () => mc.health() }, repairs);
  });
}
