// Which terminating pods on this minion still hold host ports a pod wants, and who waits for them.
// A pod deleted (or moved away) keeps its host ports until its sandbox is gone, and its teardown
// (preStop hooks, SIGTERM, grace period) runs on another worker while its replacement is synced. So
// instead of failing the replacement's sandbox against a port that is about to be free (an error
// event and a sandbox back-off), the replacement waits for that teardown, and is requeued the moment
// it ends. Level-based: holders are found from what the runtime runs (running sandboxes and their
// host-ports label) and which pods are bound here now, never from a memory of past syncs; the
// waiter lists only make the wake-up prompt (the kubelet's resync is the safety net).
import { metaNamespaceKey } from '@coxswain/objects';
import { LABELS, ContainerRuntime, SANDBOX_NAME } from './runtime';
import { hostPortsOfSandbox } from './host-ports';

export interface HostPortHoldersOptions {
  minion: string;
  runtime: ContainerRuntime;
  /** Whether the pod with this key and uid is bound here now (its containers are not going away). */
  isBound(key: string, uid: string): boolean;
  /** The host ports of a pod from the last object seen of it (for sandboxes without the label). */
  lastSeenPorts?(key: string, uid: string): string[] | undefined;
}

export interface PortHolder {
  /** namespace/name of the terminating pod. */
  key: string;
  /** The wanted ports it holds. */
  ports: string[];
}

export class HostPortHolders {
  /** Holder key -> keys of the pods waiting for its teardown. */
  private readonly waiters = new Map<string, Set<string>>();
  /** Bumped at every release, so a lookup can tell that one happened while it listed containers. */
  private releases = 0;

  constructor(private readonly o: HostPortHoldersOptions) {}

  /**
   * The terminating pods holding any of `wanted` (`8000/TCP`, ...), other than the waiter itself.
   * The waiter is registered with each, so that `released(holder)` names it.
   */
  async find(waiter: string, wanted: string[]): Promise<PortHolder[]> {
    if (!wanted.length) return [];
    const want = new Set(wanted);
    for (;;) {
      const seen = this.releases;
      const sandboxes = await this.o.runtime.listContainers({ [LABELS.minion]: this.o.minion, [LABELS.container]: SANDBOX_NAME });
      // A release while we listed may be missing from the list or not: look again rather than
      // register a wait for a teardown that has already ended. Each round needs another release.
      if (seen !== this.releases) continue;
      const byKey = new Map<string, Set<string>>();
      for (const s of sandboxes) {
        if (s.state !== 'running') continue;
        const key = metaNamespaceKey(s.labels[LABELS.namespace], s.labels[LABELS.podName] ?? '');
        const uid = s.labels[LABELS.podUid] ?? '';
        if (key === waiter || this.o.isBound(key, uid)) continue;
        const ports = hostPortsOfSandbox(s) ?? this.o.lastSeenPorts?.(key, uid) ?? [];
        for (const p of ports) if (want.has(p)) (byKey.get(key) ?? byKey.set(key, new Set()).get(key)!).add(p);
      }
      const holders = [...byKey].map(([key, ports]) => ({ key, ports: [...ports].sort() }));
      for (const h of holders) (this.waiters.get(h.key) ?? this.waiters.set(h.key, new Set()).get(h.key)!).add(waiter);
      return holders;
    }
  }

  /** The pod's sandbox is gone (or stopped): returns the pods that waited for it, to requeue now. */
  released(key: string): string[] {
    this.releases++;
    const waiting = this.waiters.get(key);
    this.waiters.delete(key);
    return waiting ? [...waiting] : [];
  }

  /** Keys with waiters (tests, debugging). */
  waitedOn(): string[] {
    return [...this.waiters.keys()];
  }
}
