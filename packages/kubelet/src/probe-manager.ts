// Runs a container's liveness and readiness probes on their schedules (initialDelaySeconds,
// periodSeconds, timeoutSeconds, failureThreshold, successThreshold). Liveness that fails
// failureThreshold times in a row reports once and stops (the kubelet restarts the container, and
// the new container gets new workers). Readiness is false until a probe succeeds. Clock injected.
import type { Container, Probe } from '@coxswain/objects';
import { Clock, realClock } from '@coxswain/objects';
import type { Prober } from './prober';

export interface ProbeManagerOptions {
  prober: Prober;
  clock?: Clock;
  onLivenessFailure: (podKey: string, containerName: string, containerId: string, message: string) => void;
  onReadinessChange: (podKey: string) => void;
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

  constructor(private readonly opts: ProbeManagerOptions) {
    this.clock = opts.clock ?? realClock;
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
    this.workers.set(key, { podKey, containerId, abort });
    void this.run(podKey, kind, container, probe, containerId, podIP, abort.signal).catch(() => undefined);
  }

  private async run(podKey: string, kind: 'liveness' | 'readiness', container: Container, probe: Probe, containerId: string, podIP: string | undefined, signal: AbortSignal) {
    const periodMs = Math.max(1, probe.periodSeconds ?? 10) * 1000;
    const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
    const failureThreshold = Math.max(1, probe.failureThreshold ?? 3);
    const successThreshold = Math.max(1, probe.successThreshold ?? 1);
    let failures = 0;
    let successes = 0;
    await this.clock.sleep((probe.initialDelaySeconds ?? 0) * 1000, signal);
    while (!signal.aborted) {
      const outcome = await this.opts.prober.run(probe, { podIP, containerId, container }, timeoutMs);
      if (signal.aborted) return;
      if (outcome.ok) {
        failures = 0;
        successes++;
      } else {
        successes = 0;
        failures++;
      }
      if (kind === 'liveness') {
        if (failures >= failureThreshold) {
          this.workers.delete(`${containerId}/liveness`);
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
}
