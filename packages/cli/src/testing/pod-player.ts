// The kubelets' part in kubecfg's tests, which run no kubelet: a watch on the pods that writes each
// new pod's status through the store once, as a kubelet would when it has started (or failed to
// start) its containers. Which status is the test's choice.
import type { ObjectStore, Pod, PodStatus } from '@coxswain/objects';

export interface PodPlayerOptions {
  /** Default `default`. */
  namespace?: string;
  /** Only the pods this selector matches (default: every pod of the namespace). */
  labelSelector?: string;
  /** The status a kubelet would report for the pod. */
  statusOf: (pod: Pod) => PodStatus;
  /** Called once a pod's status is written. */
  played?: (pod: Pod) => void;
}

/**
 * Plays the kubelets for one namespace's pods (default: `default`) from now on. A pod counts as played once it has
 * container statuses (a kubelet always writes them); a write lost to a conflict is made again on the
 * pod's next event.
 */
export async function playKubelets(store: ObjectStore, opts: PodPlayerOptions): Promise<{ stop(): Promise<void> }> {
  const watch = store.watch<Pod>('pods', { namespace: opts.namespace ?? 'default', labelSelector: opts.labelSelector, resourceVersion: await store.currentRevision() });
  const done = (async () => {
    for await (const { type, object: p } of watch) {
      if (type === 'DELETED' || p.status?.containerStatuses?.length) continue;
      try {
        await store.updateStatus<Pod>({ ...p, status: opts.statusOf(p) });
        opts.played?.(p);
      } catch {
        // Deleted under us, or changed since this event (a conflict): a later event has the pod as it is now.
      }
    }
  })();
  return {
    async stop() {
      watch.close();
      await done;
    },
  };
}
