// Runs a container's liveness and readiness probes on their schedules (initialDelaySeconds,
// periodSeconds, timeoutSeconds, failureThreshold, successThreshold). Liveness that fails
// failureThreshold times in a row reports once and stops (the kubelet restarts the container, and
// the new container gets new workers). Readiness is false until a probe succeeds. Clock injected.
// A prober that throws has no result (as in Kubernetes: neither success nor failure; logged, tried
// again next period). A worker that ends for any reason leaves no entry behind, so the next sync of
// the pod starts a live one instead of finding a dead one in `workers`.
import type { Container, Probe } from '@coxswain/objects';
import { Clock, realClock } from '@coxswain/objects';
import { createLogger, Logger } from '@coxswain/process';
import type { Prober, ProbeOutcome, ProbeTarget } from './prober';

export interface ProbeManagerOptions {
  prober: Prober;
  clock?: Clock;
  onLivenessFailure: (podKey: string, containerName: string, containerId: string, message: string) => void;
  onReadinessChange: (podKey: string) => void;
  logger?: Logger;
}

interface Worker {
  podKey: string;
  containerId: string;
  abort: AbortController;
}

export class ProbeManager {
  private readonly clock: Clock;
  /** Worker keys: `<containerId>/liveness` and `<containerId>/readiness`. */
  private readonly workers = new Map<string, Worker>();
  private readonly readiness = new Map<string, boolean>();
  private readonly log: Logger;

  constructor(private readonly opts: ProbeManagerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger ?? createLogger('probe-manager');
  }

  /** Starts the container's probe workers if they are not running yet. */
  ensure(podKey: string, container: Container, containerId: string, podIP: string | undefined): void {
    if (container.livenessProbe) this.start(podKey, 'liveness', container, container.livenessProbe, containerId, podIP);
    if (container.readinessProbe) this.start(podKey, 'readiness', container, container.readinessProbe, containerId, podIP);
  }

  /** Ready as far as probes go: no readiness probe, or its last result succeeded. */
  isReady(container: Container, containerId: string): boolean {
    if (!container.readinessProbe) return true;
    return this.readiness.get(containerId) === true;
  }

  /** Stops the workers of every container not in `keep` that belongs to the pod (or all, without keep). */
  stopPod(podKey: string, keep?: Set<string>): void {
    for (const [k, w] of this.workers) {
      if (w.podKey === podKey && !keep?.has(w.containerId)) this.stopWorker(k, w);
    }
  }

  stopAll(): void {
    for (const [k, w] of this.workers) this.stopWorker(k, w);
  }

  get size(): number {
    return this.workers.size;
  }

  private stopWorker(key: string, w: Worker): void {
    w.abort.abort();
    this.workers.delete(key);
    this.readiness.delete(w.containerId);
  }

  private start(podKey: string, kind: 'liveness' | 'readiness', container: Container, probe: Probe, containerId: string, podIP?: string) {
    const key = `${containerId}/${kind}`;
    if (this.workers.has(key)) return;
    const abort = new AbortController();
    const worker: Worker = { podKey, containerId, abort };
    this.workers.set(key, worker);
    void this.run(key, worker, kind, container, probe, podIP)
      .catch((err) => this.log.error({ err, pod: podKey, container: container.name, probe: kind }, 'probe worker failed; the next sync starts a new one'))
      .finally(() => this.release(key, worker));
  }

  /** Drops the worker's entry, if it is still this worker's (a stop and a new ensure() may have replaced it). */
  private release(key: string, worker: Worker): void {
    if (this.workers.get(key) === worker) this.workers.delete(key);
  }

  private async run(key: string, worker: Worker, kind: 'liveness' | 'readiness', container: Container, probe: Probe, podIP: string | undefined) {
    const { podKey, containerId } = worker;
    const signal = worker.abort.signal;
    const periodMs = Math.max(1, probe.periodSeconds ?? 10) * 1000;
    const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
    const failureThreshold = Math.max(1, probe.failureThreshold ?? 3);
    const successThreshold = Math.max(1, probe.successThreshold ?? 1);
    let failures = 0;
    let successes = 0;
    await this.clock.sleep((probe.initialDelaySeconds ?? 0) * 1000, signal);
    while (!signal.aborted) {
      const outcome = await this.probeOnce(probe, { podIP, containerId, container }, timeoutMs);
      if (signal.aborted) return;
      if (!outcome) {
        await this.clock.sleep(periodMs, signal);
        continue;
      }
      if (outcome.ok) {
        failures = 0;
        successes++;
      } else {
        successes = 0;
        failures++;
      }
      if (kind === 'liveness') {
        if (failures >= failureThreshold) {
          this.release(key, worker); // the restarted container gets new workers
          this.opts.onLivenessFailure(podKey, container.name, containerId, outcome.message ?? 'probe failed');
          return;
        }
      } else {
        const before = this.readiness.get(containerId);
        let now = before ?? false;
        if (successes >= successThreshold) now = true;
        if (failures >= failureThreshold || (before === undefined && !outcome.ok)) now = false;
        this.readiness.set(containerId, now);
        if (before !== now) this.opts.onReadinessChange(podKey);
      }
      await this.clock.sleep(periodMs, signal);
    }
  }

  /** One probe's outcome, or undefined when the prober itself threw (no result: logged, not counted). */
  private async probeOnce(probe: Probe, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome | undefined> {
    try {
      return await this.opts.prober.run(probe, target, timeoutMs);
    } catch (err) {
      this.log.warn({ err, container: target.container.name, containerId: target.containerId }, 'prober error; no result this period');
      return undefined;
    }
  }
}
