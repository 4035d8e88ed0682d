// The HorizontalPodAutoscaler controller: every sync period it looks at each HPA, reads the CPU use
// of its target's ready pods from the metrics pipeline and what they request, asks autoscale-plan.ts
// for a replica count, and writes it to the target's spec.replicas (an RC or a Deployment: what
// their scale subresource changes). Every change is an event with the figures behind it; a reason it
// did not scale is an event too (once per reason, not at every sync). Status: current and desired
// replicas, current utilization, last scale time.
import { Controller, type EventRecorder, type MetricsSource } from '@coxswain/client';
import {
  metaNamespaceKey,
  NotFoundError,
  realClock,
  selectorFromMap,
  splitMetaNamespaceKey,
  type Clock,
  type Deployment,
  type HorizontalPodAutoscaler,
  type ObjectStore,
  type Pod,
  type ReplicationController,
} from '@coxswain/objects';
import type { Logger } from '@coxswain/process';
import { DEFAULT_TARGET_CPU_PERCENT, planAutoscale, type PodFigures } from './autoscale-plan';
import { INDEX, type CacheReader, type Handlers } from './object-cache';
import { podResources } from './pod-resources';
import { isPodReady } from './replication-plan';

export const DEFAULT_HPA_SYNC_MS = 15_000;
export const DEFAULT_DOWNSCALE_STABILIZATION_MS = 300_000;

export interface HorizontalAutoscalerOptions {
  store: ObjectStore;
  hpas: CacheReader<HorizontalPodAutoscaler>;
  pods: CacheReader<Pod>;
  controllers: CacheReader<ReplicationController>;
  deployments: CacheReader<Deployment>;
  metrics: MetricsSource;
  recorder: EventRecorder;
  clock?: Clock;
  syncPeriodMs?: number;
  downscaleStabilizationMs?: number;
  logger?: Logger;
}

type Target = ReplicationController | Deployment;

export class HorizontalAutoscaler {
  readonly controller: Controller;
  private readonly clock: Clock;
  private readonly history = new Map<string, Array<{ at: number; replicas: number }>>();
  /** The last reason an HPA did not scale, so the event is recorded when it changes, not every sync. */
  private readonly lastHold = new Map<string, string>();

  constructor(private readonly o: HorizontalAutoscalerOptions) {
    this.clock = o.clock ?? realClock;
    this.controller = new Controller({ name: 'horizontal-autoscaler', reconcile: (key) => this.reconcile(key), clock: o.clock, logger: o.logger });
  }

  get hpaHandlers(): Handlers<HorizontalPodAutoscaler> {
    return this.controller.enqueueHandlers<HorizontalPodAutoscaler>();
  }

  start(): void {
    this.controller.start();
    for (const h of this.o.hpas.list()) this.controller.enqueue(metaNamespaceKey(h));
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async reconcile(key: string): Promise<{ requeueAfterMs: number } | void> {
    const hpa = this.o.hpas.get(key);
    if (!hpa) {
      this.history.delete(key);
      this.lastHold.delete(key);
      return;
    }
    const period = this.o.syncPeriodMs ?? DEFAULT_HPA_SYNC_MS;
    const ref = hpa.spec.scaleTargetRef;
    const ns = hpa.metadata.namespace ?? 'default';
    const targetKey = `${ns}/${ref.name}`;
    const target: Target | undefined = ref.kind === 'Deployment' ? this.o.deployments.get(targetKey) : this.o.controllers.get(targetKey);
    if (!target) {
      this.hold(hpa, 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${ref.kind.toLowerCase()} "${ref.name}" not found`);
      return { requeueAfterMs: period };
    }
    const current = target.spec.replicas ?? 0;
    if (current === 0) {
      // Scaled to zero by hand: autoscaling is off until someone scales it up again (as Kubernetes does).
      this.hold(hpa, 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
      await this.writeStatus(hpa, current, current, undefined);
      return { requeueAfterMs: period };
    }
    const selector = selectorFromMap(ref.kind === 'Deployment' ? (target as Deployment).spec.selector.matchLabels : (target as ReplicationController).spec.selector);
    const metrics = new Map(this.o.metrics.pods().filter((p) => p.namespace === ns).map((p) => [p.name, p]));
    const figures: PodFigures[] = [];
    for (const pod of this.o.pods.byIndex(INDEX.namespace, ns)) {
      if (!selector.matches(pod.metadata.labels ?? {}) || !isPodReady(pod)) continue;
      const m = metrics.get(pod.metadata.name);
      if (!m) continue; // no figure yet (just started, or its kubelet is not answering): not counted
      figures.push({ usageMilli: m.containers.reduce((a, c) => a + c.usage.cpuNanoCores / 1e6, 0), requestMilli: podResources(pod).milliCpu });
    }
    const { plan, history } = planAutoscale({
      pods: figures,
      currentReplicas: current,
      minReplicas: hpa.spec.minReplicas ?? 1,
      maxReplicas: hpa.spec.maxReplicas,
      targetPercent: hpa.spec.targetCPUUtilizationPercentage ?? DEFAULT_TARGET_CPU_PERCENT,
      history: this.history.get(key) ?? [],
      now: this.clock.now(),
      stabilizationMs: this.o.downscaleStabilizationMs ?? DEFAULT_DOWNSCALE_STABILIZATION_MS,
    });
    this.history.set(key, history);
    if (plan.kind === 'scale') {
      await this.scaleTarget(ref.kind, ns, ref.name, plan.desired);
      this.lastHold.delete(key);
      this.o.recorder.normal(hpa, 'SuccessfulRescale', `New size: ${plan.desired}; reason: ${plan.reason} (${podsMeasured(figures.length)}, was ${current})`);
      await this.writeStatus(hpa, current, plan.desired, plan.utilization, true);
    } else {
      this.hold(hpa, 'DesiredReplicasComputed', `${plan.reason}; ${podsMeasured(figures.length)} of ${current}${plan.utilization !== undefined ? `, utilization ${plan.utilization}%` : ''}`, plan.reason);
      await this.writeStatus(hpa, current, plan.desired, plan.utilization);
    }
    return { requeueAfterMs: period };
  }

  /** An event for a reason not to scale, once per reason (its figures may change every sync). */
  private hold(hpa: HorizontalPodAutoscaler, reason: string, message: string, sameAs = message): void {
    const key = metaNamespaceKey(hpa);
    if (this.lastHold.get(key) === sameAs) return;
    this.lastHold.set(key, sameAs);
    if (reason === 'DesiredReplicasComputed') this.o.recorder.normal(hpa, reason, message);
    else this.o.recorder.warning(hpa, reason, message);
  }

  private async scaleTarget(kind: 'ReplicationController' | 'Deployment', ns: string, name: string, replicas: number): Promise<void> {
    const resource = kind === 'Deployment' ? 'deployments' : 'replicationControllers';
    await this.o.store.guaranteedUpdate<Target>(resource, ns, name, (t) => ({ ...t, spec: { ...t.spec, replicas } }) as Target);
  }

  private async writeStatus(hpa: HorizontalPodAutoscaler, current: number, desired: number, utilization: number | undefined, scaled = false): Promise<void> {
    const { namespace: ns, name } = splitMetaNamespaceKey(metaNamespaceKey(hpa));
    try {
      await this.o.store.guaranteedUpdate<HorizontalPodAutoscaler>(
        'horizontalpodautoscalers',
        ns,
        name,
        (h) => ({
          ...h,
          status: {
            ...h.status,
            observedGeneration: h.metadata.generation,
            currentReplicas: current,
            desiredReplicas: desired,
            ...(utilization !== undefined ? { currentCPUUtilizationPercentage: utilization } : {}),
            ...(scaled ? { lastScaleTime: new Date(this.clock.now()).toISOString() } : {}),
          },
        }),
        { subresource: 'status' },
      );
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
}

const podsMeasured = (n: number) => `${n} pod${n === 1 ? '' : 's'} measured`;
