// One reconciler as a process: dial etcd, optionally win the leader election, then start the
// informers, wait for their caches to sync, and only then start the workers. /healthz answers
// throughout (a standby is healthy). Losing leadership ends the process (`done` resolves with
// reason 'lost-leadership' and the binary exits non-zero so its supervisor restarts it, and it
// campaigns again with a fresh session: never two leaders acting on a stale belief). Signals are the
// binary's: it registers stop() with the process's shutdown path (onShutdown in @coxswain/process).
import os from 'os';
import type { Storage } from '@coxswain/objects';
import { openRegistry } from '@coxswain/registry';
import { createLogger, Logger, parseEtcdServers, serveHealth, type HealthServer } from '@coxswain/process';
import { EventRecorder, Informer, LeaderElector } from '@coxswain/client';
import { KubeObject, ObjectStore, ResourceName } from '@coxswain/objects';
import { indexers } from './object-cache';

export interface ReconcilerProcessOptions {
  /** etcd endpoints, e.g. `http://127.0.0.1:2379` (a comma-separated string is split). */
  etcdServers: string | readonly string[];
  /** Campaign before doing anything (default true). With false, several copies would fight. */
  leaderElect?: boolean;
  /** Leader lease TTL in seconds (default 15): a dead leader is replaced within about this long. */
  leaderLeaseTtlSeconds?: number;
  /** Serve /healthz on this port (0 = a free one; omit for none). */
  healthzPort?: number;
  healthzAddress?: string;
  /** Who this process is in the election (default `<host>-<pid>-<random>`). */
  identity?: string;
  /** Event TTL (default 24 h). */
  eventTtlSeconds?: number;
  logger?: Logger;
}

export type EndReason = 'stopped' | 'lost-leadership' | 'failed';

export interface ReconcilerHandle {
  readonly name: string;
  /** Resolves once this process leads (or runs without election) and its workers have started. */
  readonly running: Promise<void>;
  /** Resolves when the process has ended and released everything. */
  readonly done: Promise<{ reason: EndReason; error?: Error }>;
  isLeader(): boolean;
  /** The /healthz URL, if serving. */
  readonly healthzUrl?: string;
  /** Stops workers, informers, resigns leadership, closes etcd. Idempotent. */
  stop(): Promise<void>;
}

/** What a reconciler builds once it leads. */
export interface ReconcilerParts {
  start(): void;
  stop(): Promise<void>;
  /** Detail for /healthz. */
  health?(): unknown;
}

export interface ReconcilerContext {
  store: ObjectStore;
  /** The registry's storage, for leases. */
  storage: Storage;
  recorder: EventRecorder;
  logger: Logger;
  /** An informer on a resource with the standard indexes; started and synced before parts.start(). */
  informer<T extends KubeObject>(resource: ResourceName): Informer<T>;
}

export async function runReconcilerProcess(
  name: string,
  opts: ReconcilerProcessOptions,
  build: (ctx: ReconcilerContext) => ReconcilerParts | Promise<ReconcilerParts>,
): Promise<ReconcilerHandle> {
  const log = opts.logger ?? createLogger(name);
  const endpoints = parseEtcdServers(opts.etcdServers);
  const store = openRegistry(endpoints);
  const recorder = new EventRecorder({ store, component: name, host: os.hostname(), ttlSeconds: opts.eventTtlSeconds });
  const informers: Informer<KubeObject>[] = [];
  const ctx: ReconcilerContext = {
    store,
    storage: store.storage,
    recorder,
    logger: log,
    informer: <T extends KubeObject>(resource: ResourceName) => {
      const inf = new Informer<T>({ store, resource, name: `${name}/${resource}` });
      for (const [index, fn] of Object.entries(indexers)) inf.addIndex(index, fn);
      informers.push(inf as unknown as Informer<KubeObject>);
      return inf;
    },
  };
  const identity = opts.identity ?? `${os.hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const elector = opts.leaderElect === false ? undefined : new LeaderElector({ storage: store.storage, prefix: `/coxswain/leader/${name}`, identity, ttlSeconds: opts.leaderLeaseTtlSeconds ?? 15 });

  let parts: ReconcilerParts | undefined;
  let phase: 'campaigning' | 'syncing' | 'running' | 'stopping' = 'campaigning';
  let stopping: Promise<void> | undefined;
  let resolveDone!: (r: { reason: EndReason; error?: Error }) => void;
  const done = new Promise<{ reason: EndReason; error?: Error }>((r) => (resolveDone = r));
  let resolveRunning!: () => void;
  let rejectRunning!: (e: Error) => void;
  const running = new Promise<void>((res, rej) => {
    resolveRunning = res;
    rejectRunning = rej;
  });
  running.catch(() => undefined);

  let health: HealthServer | undefined;
  if (opts.healthzPort !== undefined) {
    health = await serveHealth({
      port: opts.healthzPort,
      host: opts.healthzAddress,
      logger: log,
      checks: () => ({
        ok: phase !== 'stopping',
        detail: { phase, leader: elector ? elector.isLeader : true, identity, ...(parts?.health ? { reconciler: parts.health() } : {}) },
      }),
    });
  }

  const shutdown = (reason: EndReason, error?: Error): Promise<void> => {
    if (stopping) return stopping;
    phase = 'stopping';
    rejectRunning(error ?? new Error(`${name} ${reason} before it started`));
    stopping = (async () => {
      const step = async (what: string, f: () => Promise<unknown> | unknown) => {
        try {
          await f();
        } catch (err) {
          log.warn({ err, step: what }, 'error while stopping');
        }
      };
      await step('workers', () => parts?.stop());
      await step('informers', () => Promise.all(informers.map((i) => i.stop())));
      await step('events', () => recorder.flush());
      if (reason !== 'lost-leadership') await step('resign', () => elector?.resign());
      await step('store', () => store.close());
      await step('healthz', () => health?.close());
      log.info({ reason }, `${name} stopped`);
      resolveDone({ reason, error });
    })();
    return stopping;
  };

  // Campaign, sync, run — in the background; errors end the process (its supervisor restarts it).
  void (async () => {
    if (elector) {
      elector.onLost((err) => {
        log.error({ err: err.message }, 'lost leadership: stopping');
        void shutdown('lost-leadership', err);
      });
      log.info({ identity }, 'campaigning for leadership');
      await elector.campaign();
      if (stopping) return;
      log.info({ identity }, 'leading');
    }
    phase = 'syncing';
    parts = await build(ctx);
    for (const inf of informers) inf.start();
    const synced = await Promise.all(informers.map((i) => i.waitForSync()));
    if (stopping || synced.some((s) => !s)) return;
    parts.start();
    phase = 'running';
    log.info({ informers: informers.length }, `${name} running`);
    resolveRunning();
  })().catch((err: Error) => {
    if (stopping) return;
    log.error({ err }, `${name} failed to start`);
    void shutdown('failed', err);
  });

  return {
    name,
    running,
    done,
    isLeader: () => (elector ? elector.isLeader : phase === 'running'),
    healthzUrl: health?.url,
    stop: () => shutdown('stopped'),
  };
}
