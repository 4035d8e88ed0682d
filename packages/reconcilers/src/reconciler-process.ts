// One reconciler as a process: dial etcd, optionally win the leader election, then start the
// informers, wait for their caches to sync, and only then start the workers. /healthz answers
// throughout (a standby is healthy). Losing leadership (etcd away for about a TTL, our key deleted)
// ends the term, not the process: workers and informers stop at once (never two leaders acting on a
// stale belief), and the process campaigns again with a fresh session, retrying with a short capped
// backoff while etcd does not answer, so it leads again within seconds of etcd's return (a crash
// loop under a supervisor took ~17 s). Signals are the binary's: it registers stop() with the
// process's shutdown path (onShutdown in @coxswain/process).
import os from 'os';
import type { Storage } from '@coxswain/objects';
import { openRegistry } from '@coxswain/registry';
import { createLogger, Logger, parseEtcdServers, serveHealth, type EtcdTLS, type HealthServer } from '@coxswain/process';
import { CampaignAbortedError, EventRecorder, Informer, LeaderElector } from '@coxswain/client';
import { KubeObject, ObjectStore, ResourceName, UnavailableError } from '@coxswain/objects';
import { indexers } from './object-cache';

export interface ReconcilerProcessOptions {
  /** etcd endpoints, e.g. `http://127.0.0.1:2379` (a comma-separated string is split). */
  etcdServers: string | readonly string[];
  /** The API server's --encryption-provider-config, for a process that reads Secrets (the namespace controller empties namespaces). */
  encryptionProviderConfig?: string;
  /** TLS to etcd (`--etcd-cafile/--etcd-certfile/--etcd-keyfile`); default plain. */
  etcdTLS?: EtcdTLS;
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

export type EndReason = 'stopped' | 'failed';

export interface ReconcilerHandle {
  readonly name: string;
  /** Resolves once this process first leads (or runs without election) and its workers have started. */
  readonly running: Promise<void>;
  /** How many terms this process has led (its workers started) so far. */
  terms(): number;
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
  const store = openRegistry(endpoints, { encryptionProviderConfig: opts.encryptionProviderConfig, tls: opts.etcdTLS });
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
  const ttlSeconds = opts.leaderLeaseTtlSeconds ?? 15;
  const newElector = (staleLease?: string) =>
    new LeaderElector({ storage: store.storage, prefix: `/coxswain/leader/${name}`, identity, ttlSeconds, staleLease });
  let elector = opts.leaderElect === false ? undefined : newElector();
  let terms = 0;
  const isLeader = () => (opts.leaderElect === false ? phase === 'running' : !!elector?.isLeader);

  let parts: ReconcilerParts | undefined;
  let phase: 'campaigning' | 'syncing' | 'running' | 'stopping' = 'campaigning';
  let retryTimer: NodeJS.Timeout | undefined;
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
        detail: { phase, leader: isLeader(), identity, ...(parts?.health ? { reconciler: parts.health() } : {}) },
      }),
    });
  }

  const step = async (what: string, f: () => Promise<unknown> | unknown) => {
    try {
      await f();
    } catch (err) {
      log.warn({ err, step: what }, 'error while stopping');
    }
  };
  /** Ends a term's work: its workers, then its informers (the next term builds fresh ones). */
  const stopTerm = async () => {
    const [p, infs] = [parts, informers.splice(0)];
    parts = undefined;
    await step('workers', () => p?.stop());
    await step('informers', () => Promise.all(infs.map((i) => i.stop())));
  };

  const shutdown = (reason: EndReason, error?: Error): Promise<void> => {
    if (stopping) return stopping;
    phase = 'stopping';
    rejectRunning(error ?? new Error(`${name} ${reason} before it started`));
    if (retryTimer) clearTimeout(retryTimer);
    stopping = (async () => {
      await stopTerm();
      await step('events', () => recorder.flush());
      await step('resign', () => elector?.resign());
      await step('store', () => store.close());
      await step('healthz', () => health?.close());
      log.info({ reason }, `${name} stopped`);
      resolveDone({ reason, error });
    })();
    return stopping;
  };

  // Backoff between campaigns while etcd does not answer: short and capped, since a candidate that
  // waits longer than etcd's reconnect only delays the next leader.
  const backoff = { initialMs: 200, maxMs: 1000 };
  let delayMs = backoff.initialMs;

  /** One term: campaign, build, sync, run. Ends by losing leadership (then the next term) or by stop(). */
  const term = async (): Promise<void> => {
    const mine = elector;
    if (mine) {
      mine.onLost((err) => {
        log.error({ err: err.message }, 'lost leadership: stopping work, campaigning again');
        campaignAgain(mine);
      });
      log.info({ identity }, 'campaigning for leadership');
      await mine.campaign();
      log.info({ identity }, 'leading');
    }
    delayMs = backoff.initialMs;
    phase = 'syncing';
    parts = await build(ctx);
    const synced = await Promise.all(informers.map((i) => (i.start(), i.waitForSync())));
    // Lost (or stopped) meanwhile: whoever noticed has stopped or is stopping this term's work.
    if (stopping || (mine && !mine.isLeader) || synced.some((s) => !s)) return;
    parts.start();
    phase = 'running';
    terms++;
    log.info({ informers: informers.length, term: terms }, `${name} running`);
    resolveRunning();
  };

  /** After a lost session or a failed campaign: stop the term's work, then campaign with a fresh elector. */
  const campaignAgain = (lost: LeaderElector): void => {
    if (stopping || lost !== elector) return; // already handled (a loss mid-campaign reports twice)
    elector = undefined;
    phase = 'campaigning';
    void stopTerm().then(() => {
      if (stopping) return;
      retryTimer = setTimeout(() => {
        if (stopping) return;
        elector = newElector(lost.unreleasedLease);
        nextTerm();
      }, delayMs);
      delayMs = Math.min(backoff.maxMs, delayMs * 2);
    });
  };

  const nextTerm = (): void => {
    const mine = elector;
    term().catch((err: Error) => {
      if (stopping) return;
      if (mine && (err instanceof UnavailableError || err instanceof CampaignAbortedError)) {
        // etcd away (or the session lost mid-campaign): the same process campaigns again shortly.
        log.warn({ err: err.message, retryInMs: delayMs }, 'campaign failed; retrying');
        return campaignAgain(mine);
      }
      log.error({ err }, `${name} failed to start`);
      void shutdown('failed', err);
    });
  };
  nextTerm();

  return {
    name,
    running,
    done,
    isLeader,
    terms: () => terms,
    healthzUrl: health?.url,
    stop: () => shutdown('stopped'),
  };
}
