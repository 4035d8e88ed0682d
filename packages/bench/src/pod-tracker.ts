// Follows pods through a watch and notes, per pod, when this process saw it created, scheduled
// (spec.nodeName set) and Running, plus when its last container started by the runtime's clock
// (status.containerStatuses[].state.running.startedAt). Startup latency is then split into
// create->scheduled, scheduled->running (container started) and running->observed (status written
// and seen through the watch). Same machine, same clock for every process.
import type { ObjectStore, Pod, Watch } from '@coxswain/objects';
import { LatencySamples, type LatencySummary } from './latency-samples';

interface PodTimes {
  created?: number;
  scheduled?: number;
  running?: number;
  startedAt?: number;
}

export interface StartupLatency {
  total: LatencySummary;
  createToScheduled: LatencySummary;
  scheduledToRunning: LatencySummary;
  runningToObserved: LatencySummary;
}

export class PodTracker {
  private readonly pods = new Map<string, PodTimes>();
  private watch?: Watch<Pod>;
  private loop?: Promise<void>;
  private stopped = false;
  counts = { created: 0, scheduled: 0, running: 0 };
  /** (ms since start, created, scheduled, running) every time a count moves, thinned to 1 per 100 ms. */
  readonly timeline: [number, number, number, number][] = [];
  private readonly t0 = Date.now();
  private lastPoint = -Infinity;

  /** `filter` picks the pods that count (e.g. one namespace prefix). */
  constructor(
    private readonly store: ObjectStore,
    private readonly filter: (p: Pod) => boolean = () => true,
  ) {}

  start(fromRevision: string): void {
    this.loop = this.follow(fromRevision);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.close();
    await this.loop;
    this.point(true);
  }

  /**
   * Watches from `revision`; a watch that fails (etcd silent for seconds on a busy machine) is
   * resumed from the last revision seen, so the counts do not freeze for the rest of the run.
   */
  private async follow(revision: string): Promise<void> {
    while (!this.stopped) {
      const watch = this.store.watch<Pod>('pods', { resourceVersion: revision });
      this.watch = watch;
      try {
        for await (const ev of watch) {
          revision = ev.object.metadata.resourceVersion ?? revision;
          if (ev.type === 'DELETED' || !this.filter(ev.object)) continue;
          this.observe(ev.object, Date.now());
        }
        return;
      } catch (err) {
        if (this.stopped) return;
        console.error(`pod tracker watch ended (${err instanceof Error ? err.message : err}); resuming from revision ${revision}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private observe(pod: Pod, now: number): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    let t = this.pods.get(key);
    if (!t) {
      t = { created: now };
      this.pods.set(key, t);
      this.counts.created++;
    }
    if (t.scheduled === undefined && pod.spec.nodeName) {
      t.scheduled = now;
      this.counts.scheduled++;
    }
    if (t.running === undefined && pod.status?.phase === 'Running') {
      t.running = now;
      this.counts.running++;
      const started = (pod.status.containerStatuses ?? []).map((c) => Date.parse(c.state?.running?.startedAt ?? ''));
      if (started.length && started.every(Number.isFinite)) t.startedAt = Math.max(...started);
    }
    this.point(false);
  }

  private point(force: boolean): void {
    const ms = Date.now() - this.t0;
    if (!force && ms - this.lastPoint < 100) return;
    this.lastPoint = ms;
    this.timeline.push([ms, this.counts.created, this.counts.scheduled, this.counts.running]);
  }

  /** Pods seen in each state, and the times (this process's clock) of the first and last of each. */
  rates(): { created: number; scheduled: number; running: number; firstCreated: number; lastCreated: number; lastScheduled: number; lastRunning: number } {
    let firstCreated = Infinity;
    let lastCreated = 0;
    let lastScheduled = 0;
    let lastRunning = 0;
    for (const t of this.pods.values()) {
      if (t.created !== undefined) (firstCreated = Math.min(firstCreated, t.created)), (lastCreated = Math.max(lastCreated, t.created));
      if (t.scheduled !== undefined) lastScheduled = Math.max(lastScheduled, t.scheduled);
      if (t.running !== undefined) lastRunning = Math.max(lastRunning, t.running);
    }
    return { ...this.counts, firstCreated, lastCreated, lastScheduled, lastRunning };
  }

  /** Per pod that reached Running: its name and when this process saw it scheduled and Running. */
  watchTimes(): { name: string; scheduled: number; running: number }[] {
    const out: { name: string; scheduled: number; running: number }[] = [];
    for (const [key, t] of this.pods) if (t.scheduled !== undefined && t.running !== undefined) out.push({ name: key.slice(key.indexOf('/') + 1), scheduled: t.scheduled, running: t.running });
    return out;
  }

  latency(): StartupLatency {
    const total = new LatencySamples();
    const a = new LatencySamples();
    const b = new LatencySamples();
    const c = new LatencySamples();
    for (const t of this.pods.values()) {
      if (t.created === undefined || t.running === undefined) continue;
      total.add(t.running - t.created);
      if (t.scheduled !== undefined) a.add(t.scheduled - t.created);
      if (t.scheduled !== undefined && t.startedAt !== undefined) {
        b.add(Math.max(0, t.startedAt - t.scheduled));
        c.add(Math.max(0, t.running - t.startedAt));
      }
    }
    return { total: total.summary(), createToScheduled: a.summary(), scheduledToRunning: b.summary(), runningToObserved: c.summary() };
  }

  /** Resolves when `n` pods are Running, or false after `timeoutMs`. */
  async waitRunning(n: number, timeoutMs: number, onTick?: () => void): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.counts.running < n) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
      onTick?.();
    }
    return true;
  }
}
