// Watch delivery, measured in a process of its own: a raw etcd watch on a prefix notes when etcd
// emitted each revision, and N WebSocket watchers through the API server note when each got it. Both
// clocks are this process's, and nothing else runs on its event loop: in the bench process the
// probes shared a thread with parsing 20,000-pod LIST bodies, which delayed their timestamps by up to
// a page of JSON.parse and counted the client's own stall as delivery latency.
import { ApiClient, wireResourceVersion, type WatchClient } from '@coxswain/client';
import { withTimeout } from '@coxswain/objects';
import { createEtcdClient } from '@coxswain/store';

const CONNECT_TIMEOUT_MS = 60_000;

export interface WatchProbeOptions {
  etcd: string;
  api: string;
  namespace: string;
  watchers: number;
}

export interface WatchProbeReport {
  /** One entry per (watcher, revision) delivered: API arrival - etcd arrival, ms. */
  deliveryMs: number[];
  /** For each entry of deliveryMs, when etcd emitted the revision (epoch ms, this machine's clock). */
  emittedAt: number[];
  /** (watcher, revision) pairs etcd emitted that the watcher has not had (yet). */
  missed: number;
  revisions: number;
}

export async function startWatchProbe(o: WatchProbeOptions): Promise<{ stop: () => Promise<unknown>; info: unknown; report: () => WatchProbeReport }> {
  const etcdSeen = new Map<string, number>();
  const wsSeen: Map<string, number>[] = [];
  const client = createEtcdClient([o.etcd]);
  const raw = await client.watch().prefix(`/registry/pods/${o.namespace}/`).create();
  raw.on('data', (res) => {
    const now = Date.now();
    for (const ev of res.events) if (!etcdSeen.has(ev.kv.mod_revision)) etcdSeen.set(ev.kv.mod_revision, now);
  });
  // The API watchers start at a revision the raw watch already covers, so every event they get has an
  // etcd timestamp to be held against.
  const fromRv = (await client.kv.range({ key: Buffer.from('/registry/'), count_only: true })).header.revision;
  const api = new ApiClient({ server: o.api });
  const watchers: WatchClient[] = [];
  const connected: Promise<void>[] = [];
  for (let i = 0; i < o.watchers; i++) {
    const seen = new Map<string, number>();
    wsSeen.push(seen);
    let onConnected!: () => void;
    connected.push(new Promise<void>((resolve) => (onConnected = resolve)));
    watchers.push(
      api.watch('pods', {
        namespace: o.namespace,
        resourceVersion: fromRv,
        onConnected,
        onEvent: (ev) => {
          const rv = wireResourceVersion(ev.object);
          if (rv && !seen.has(rv)) seen.set(rv, Date.now());
        },
      }),
    );
  }
  // Every WebSocket open before the probe reports ready (a watcher still connecting would count its
  // connection time as delivery); bounded, so a server that never answers fails the phase.
  await withTimeout(Promise.all(connected), CONNECT_TIMEOUT_MS, `watch probe: not all ${o.watchers} watchers connected within ${CONNECT_TIMEOUT_MS / 1000} s`);
  return {
    info: { watchers: watchers.length },
    report: () => {
      const deliveryMs: number[] = [];
      const emittedAt: number[] = [];
      let missed = 0;
      for (const seen of wsSeen) {
        for (const [rev, at] of etcdSeen) {
          const got = seen.get(rev);
          if (got === undefined) missed++;
          else {
            deliveryMs.push(Math.max(0, got - at));
            emittedAt.push(at);
          }
        }
      }
      return { deliveryMs, emittedAt, missed, revisions: etcdSeen.size };
    },
    stop: async () => {
      await Promise.all(watchers.map((w) => w.close()));
      await raw.cancel();
      client.close();
    },
  };
}
