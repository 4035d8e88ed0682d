// The kubelet: the agent of one minion. It registers and heartbeats the minion, watches only its own
// bound-pod keys (an informer over listBoundPods/watchBoundPods), and runs one Controller over pod keys
// fed by that informer, by the runtime's container events, by probe results and by a periodic resync.
// The Controller syncs each key on one worker at a time (PodSyncer) and retries a failed sync with
// backoff; the resulting status is written with CAS only when it changed. Containers of pods no longer
// bound are stopped and removed.
import type { Storage } from '@coxswain/objects';
import { MinionLease } from '@coxswain/registry';
import * as os from 'os';
import { Backoff, Controller, GroupCommit, Informer, ListWatch, ReconcileResult, sharedGroupCommit } from '@coxswain/client';
import { Clock, ConflictError, metaNamespaceKey, NotFoundError, ObjectStore, Pod, PodStatus, realClock, splitMetaNamespaceKey, type StatusUpdate } from '@coxswain/objects';
import { createLogger, Logger } from '@coxswain/process';
import { gatewayOf } from './cidr';
import { Heartbeat, MinionInfo } from './heartbeat';
import { HostPortHolders } from './host-port-holders';
import { hostPortsOf } from './host-ports';
import { sameStatus } from './pod-status';
import { PodSyncer, Recorder } from './pod-syncer';
import { NetworkProber, Prober } from './prober';
import { ProbeManager } from './probe-manager';
import { RestartBackoff } from './restart-backoff';
import { ContainerRuntime, LABELS, RuntimeContainer } from './runtime';
import { nodeInfo } from './node-info';
import { observePodStart } from './kubelet-metrics';
import { ConfigWatches } from './config-watches';
import { PodVolumes } from './pod-volumes';
import { sharedServiceCache, type ServiceCache } from './service-cache';
import { HostTmpfs, RecordedTmpfs, type Tmpfs } from './tmpfs';
import * as path from 'path';

export interface KubeletOptions {
  minion: string;
  /** The minion's address (host ports, hostIP, the log server), e.g. 127.0.1.11. */
  address: string;
  /** The log server's port, advertised as the minion's kubeletEndpoint. Default 10250. */
  port?: number;
  /** The pod network, e.g. 172.30.11.0/24; its first address is the gateway the proxy serves on. */
  podCIDR: string;
  store: ObjectStore;
  runtime: ContainerRuntime;
  /** Where the heartbeat lease lives; without it the Minion's Ready condition alone carries the heartbeat. */
  leaseStorage?: Storage;
  recorder?: Recorder;
  prober?: Prober;
  clock?: Clock;
  /**
   * Sync every pod this often even without events. Default 1 min, Kubernetes' syncFrequency: every
   * change that matters (binding, container exit, probe, referenced config, port release, back-off)
   * queues its pod when it happens, so this is only the safety net, and at 30 pods on each of 5,000
   * minions a 10 s period was 15,000 syncs/s of nothing.
   */
  resyncMs?: number;
  heartbeatMs?: number;
  leaseTtlSeconds?: number;
  /** With a lease: how often the Minion's status is rewritten although nothing changed (default 5 min). */
  statusReportMs?: number;
  podInfraImage?: string;
  labels?: Record<string, string>;
  /** Default: the host's cpus and memory, 110 pods. */
  capacity?: { cpu?: string; memory?: string; pods?: string };
  restartBackoff?: { initialMs?: number; maxMs?: number };
  pullBackoff?: { initialMs?: number; maxMs?: number };
  /** Pods synced at once. Default 4. */
  workers?: number;
  /** Most processes one container may have (0: no limit). Default 4096. */
  podPidsLimit?: number;
  /** Where pod directories (volumes) live: <rootDir>/pods/<uid>. Default <tmpdir>/coxswain-kubelet/<minion>. */
  rootDir?: string;
  /** Host directories hostPath volumes may be at or under. Default none: every hostPath is refused. */
  allowedHostPaths?: readonly string[];
  /** Mounts memory emptyDirs; default: real tmpfs on Docker, recorded on the memory runtime. */
  tmpfs?: Tmpfs;
  logger?: Logger;
}

const nullRecorder: Recorder = { normal: () => undefined, warning: () => undefined };

export class Kubelet {
  readonly minion: string;
  readonly network: string;
  readonly serviceAddress: string;
  readonly heartbeat: Heartbeat;
  readonly informer: Informer<Pod>;
  readonly probes: ProbeManager;
  private readonly syncer: PodSyncer;
  /** The ConfigMaps and Secrets the pods here reference, watched. */
  private readonly configWatches: ConfigWatches;
  /** The Services whose variables containers get, watched (shared with the kubelets on this store). */
  private readonly services: ServiceCache;
  readonly volumes: PodVolumes;
  /** Terminating pods still holding host ports, and the pods waiting for them. */
  private readonly portHolders: HostPortHolders;
  /** Syncs pod keys: `stats.syncs` and `stats.syncErrors` are its counters. */
  private readonly controller: Controller;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly recorder: Recorder;
  private readonly runtime: ContainerRuntime;
  private readonly store: ObjectStore;
  /**
   * First tries of status writes (from our copy, no read), several to an etcd txn with those of every
   * kubelet on the same store (store.updateStatusMany). An idle batcher sends a write at once.
   */
  private readonly statusCommit: GroupCommit<StatusUpdate<Pod>, Pod>;
  /** The last pod object seen per key, so a deleted pod's containers still get their preStop hooks. */
  private readonly lastSeen = new Map<string, Pod>();
  /** The status we last wrote per key and the revision it produced (the cache may lag behind it). */
  private readonly written = new Map<string, { uid: string; status: PodStatus; revision: bigint }>();
  private readonly abort = new AbortController();
  private resync?: Promise<void>;
  private unsubscribe?: () => void;
  private started = false;
  private releaseServices?: () => Promise<void>;
  private statusWrites = 0;

  constructor(private readonly opts: KubeletOptions) {
    this.minion = opts.minion;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger ?? createLogger('kubelet', { minion: opts.minion });
    this.recorder = opts.recorder ?? nullRecorder;
    this.runtime = opts.runtime;
    this.store = opts.store;
    // A status write is a compare and a put (the bound-pod key is not touched): 64 to a txn, as events.
    this.statusCommit = sharedGroupCommit(opts.store, 'pod status', () => new GroupCommit({ commit: (u: StatusUpdate<Pod>[]) => opts.store.updateStatusMany(u), maxBatch: 64, maxInFlight: 2 }));
    this.network = `coxswain-${opts.minion}`;
    this.serviceAddress = gatewayOf(opts.podCIDR);
    const prober = opts.prober ?? new NetworkProber(opts.runtime);

    const info: MinionInfo = {
      name: opts.minion,
      address: opts.address,
      podCIDR: opts.podCIDR,
      kubeletEndpoint: `http://${opts.address}:${opts.port ?? 10250}`,
      serviceAddress: this.serviceAddress,
      labels: opts.labels,
      capacity: {
        cpu: opts.capacity?.cpu ?? String(os.cpus().length),
        memory: opts.capacity?.memory ?? String(os.totalmem()),
        pods: opts.capacity?.pods ?? '110',
      },
      nodeInfo: nodeInfo(opts.runtime.kind),
    };
    this.heartbeat = new Heartbeat({
      store: opts.store,
      lease: opts.leaseStorage && new MinionLease(opts.leaseStorage, { name: opts.minion, address: opts.address }, opts.leaseTtlSeconds ?? 40),
      minion: info,
      intervalMs: opts.heartbeatMs,
      statusReportMs: opts.statusReportMs,
      clock: this.clock,
      logger: this.log,
    });

    this.controller = new Controller({ name: 'kubelet', reconcile: (key) => this.syncKey(key), workers: opts.workers ?? 4, clock: this.clock, logger: this.log });
    this.probes = new ProbeManager({
      prober,
      clock: this.clock,
      logger: this.log,
      onLivenessFailure: (key, name, id, message) => {
        const pod = this.informer.get(key);
        if (pod) this.recorder.warning(pod, 'Unhealthy', `Liveness probe of container ${name} failed: ${message}`);
        this.syncer.markUnhealthy(id, message);
        this.controller.enqueue(key);
      },
      onReadinessChange: (key) => this.controller.enqueue(key),
    });
    this.portHolders = new HostPortHolders({
      minion: opts.minion,
      runtime: opts.runtime,
      isBound: (key, uid) => this.informer.get(key)?.metadata.uid === uid,
      lastSeenPorts: (key, uid) => {
        const seen = this.lastSeen.get(key);
        return seen && seen.metadata.uid === uid ? hostPortsOf(seen) : undefined;
      },
    });
    const configSources = (this.configWatches = new ConfigWatches({
      store: opts.store,
      clock: this.clock,
      logger: this.log,
      onChange: (podKey) => this.controller.enqueue(podKey),
    }));
    this.services = sharedServiceCache({ store: opts.store, clock: this.clock, logger: this.log });
    this.volumes = new PodVolumes({
      rootDir: opts.rootDir ?? path.join(os.tmpdir(), 'coxswain-kubelet', opts.minion),
      allowedHostPaths: opts.allowedHostPaths ?? [],
      sources: configSources,
      tmpfs: opts.tmpfs ?? (opts.runtime.kind === 'docker' ? new HostTmpfs() : new RecordedTmpfs()),
    });
    this.syncer = new PodSyncer({
      volumes: this.volumes,
      configSources,
      minion: opts.minion,
      hostIP: opts.address,
      network: this.network,
      serviceHost: this.serviceAddress,
      podInfraImage: opts.podInfraImage ?? 'coxswain/pause',
      pidsLimit: opts.podPidsLimit,
      runtime: opts.runtime,
      recorder: this.recorder,
      probes: this.probes,
      prober,
      clock: this.clock,
      listServices: (namespace) => this.services.list(namespace),
      restartBackoff: new RestartBackoff({ ...opts.restartBackoff, clock: this.clock }),
      pullBackoff: new RestartBackoff({ initialMs: 5_000, maxMs: 300_000, ...opts.pullBackoff, clock: this.clock }),
      logger: this.log,
      hostPortHolders: (pod, wanted) => this.portHolders.find(metaNamespaceKey(pod), wanted),
      // A sandbox gone frees its host ports: pods waiting for them, or backing off after failing
      // on them, are synced at once.
      onHostPortsReleased: (key, ports) => {
        for (const k of this.portHolders.released(key)) this.controller.enqueue(k);
        for (const k of this.syncer.forgetPortConflicts(ports)) this.controller.enqueue(k);
      },
    });

    const listWatch: ListWatch<Pod> = {
      list: () => opts.store.listBoundPods(opts.minion),
      watch: (o) => opts.store.watchBoundPods(opts.minion, o),
    };
    this.informer = new Informer<Pod>({ listWatch, clock: this.clock, name: `boundpods/${opts.minion}`, logger: this.log });
    this.informer.addEventHandler(this.controller.enqueueHandlers());
  }

  /** Starts every loop; resolves once the pod network exists and the bound pods are listed. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.heartbeat.start();
    this.releaseServices = this.services.acquire();
    await this.ensureNetwork();
    this.unsubscribe = this.runtime.subscribe({ [LABELS.minion]: this.minion }, (e) => {
      const ns = e.labels[LABELS.namespace];
      const name = e.labels[LABELS.podName];
      if (name) this.controller.enqueue(metaNamespaceKey(ns, name));
    });
    this.informer.start();
    await this.informer.waitForSync();
    this.controller.start();
    this.resync = this.resyncLoop();
    await this.housekeeping();
    this.log.info({ network: this.network, serviceAddress: this.serviceAddress }, 'kubelet started');
  }

  /**
   * Stops the kubelet's loops. Containers are left running on purpose: a kubelet that starts again
   * adopts them (same container IDs).
   */
  async stop(): Promise<void> {
    this.abort.abort();
    this.unsubscribe?.();
    this.probes.stopAll();
    await Promise.allSettled([this.controller.stop(), this.informer.stop(), this.heartbeat.stop(), this.resync]);
    await this.configWatches.stop();
    await this.releaseServices?.();
  }

  /** Counters for tests and /healthz: pod syncs, failed syncs, status writes. */
  get stats(): { syncs: number; syncErrors: number; statusWrites: number } {
    return { syncs: this.controller.stats.reconciles, syncErrors: this.controller.stats.errors, statusWrites: this.statusWrites };
  }

  /** The ConfigMap and Secret watches running now, `<resource>/<namespace>`. */
  configWatchKeys(): string[] {
    return this.configWatches.watches();
  }

  /** Pod keys (namespace/name) this kubelet is responsible for now. */
  podKeys(): string[] {
    return this.informer.keys();
  }

  /** Resolves once no pod key is queued or syncing (tests). */
  idle(): Promise<void> {
    return this.controller.whenIdle();
  }

  /** Makes the pod's containers match its spec and writes its status; a throw is retried with backoff. */
  /** When this kubelet first saw each pod not yet Running: the start of its kubelet_pod_start_duration_seconds. */
  private readonly firstSeen = new Map<string, number>();

  private async syncKey(key: string): Promise<ReconcileResult | void> {
    if (this.abort.signal.aborted) return;
    const cached = this.informer.get(key);
    const { namespace, name } = splitMetaNamespaceKey(key);
    const containers = await this.runtime.listContainers({ [LABELS.minion]: this.minion, [LABELS.namespace]: namespace, [LABELS.podName]: name });
    if (!cached) {
      // No longer bound here: stop and remove everything of it.
      if (containers.length) {
        this.log.info({ pod: key, containers: containers.length }, 'removing containers of a pod no longer bound here');
        await this.syncer.killPod(this.lastSeen.get(key), containers, key);
      }
      // A pod that never got a container (its volumes refused) still has a directory.
      const uid = this.lastSeen.get(key)?.metadata.uid;
      if (uid) await this.volumes.tearDown(uid);
      this.lastSeen.delete(key);
      this.written.delete(key);
      this.firstSeen.delete(key);
      await this.configWatches.track(key, undefined);
      return;
    }
    this.lastSeen.set(key, cached);
    await this.configWatches.track(key, cached);
    if (cached.status?.phase !== 'Running' && !this.firstSeen.has(key)) this.firstSeen.set(key, this.clock.now());
    const pod = this.withFreshestStatus(key, cached);
    const result = await this.syncer.syncPod(pod, containers);
    if (!this.abort.signal.aborted) await this.writeStatus(key, pod, result.status);
    if (result.retryAfterMs !== undefined) return { requeueAfterMs: result.retryAfterMs };
  }

  /** The cached pod, with the status we wrote last if the cache has not caught up with it yet. */
  private withFreshestStatus(key: string, cached: Pod): Pod {
    const w = this.written.get(key);
    if (!w || w.uid !== cached.metadata.uid) return cached;
    if (BigInt(cached.metadata.resourceVersion ?? '0') >= w.revision) return cached;
    return { ...cached, status: w.status };
  }

  /** The newer of the cached pod's revision and our own last status write's to it. */
  private latestRevision(key: string, pod: Pod): string {
    const cachedRv = pod.metadata.resourceVersion ?? '0';
    const w = this.written.get(key);
    if (!w || w.uid !== pod.metadata.uid || w.revision <= BigInt(cachedRv)) return cachedRv;
    return String(w.revision);
  }

  private async writeStatus(key: string, pod: Pod, status: PodStatus): Promise<void> {
    if (sameStatus(pod.status, status)) return;
    // Our copy is the bound-pod key's (the pod without status) at the pod's latest revision we know
    // of: the bind's, or our own last status write's. So the first try writes without a read; if
    // someone else wrote the pod since, the CAS fails and we read it.
    let base: Pod = { ...pod, metadata: { ...pod.metadata, resourceVersion: this.latestRevision(key, pod) } };
    let cached: Pod | undefined = base;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const saved = cached ? await this.statusCommit.submit({ obj: { ...base, status }, cached }) : await this.store.updateStatus<Pod>({ ...base, status });
        this.statusWrites++;
        const seen = this.firstSeen.get(key);
        if (status.phase === 'Running' && seen !== undefined) {
          observePodStart((this.clock.now() - seen) / 1000);
          this.firstSeen.delete(key);
        }
        this.written.set(key, { uid: pod.metadata.uid ?? '', status, revision: BigInt(saved.metadata.resourceVersion ?? '0') });
        return;
      } catch (e) {
        if (e instanceof NotFoundError) return; // deleted meanwhile: the delete event cleans up
        if (!(e instanceof ConflictError)) throw e;
        cached = undefined;
        base = await this.store.get<Pod>('pods', pod.metadata.namespace, pod.metadata.name).catch((err) => {
          if (err instanceof NotFoundError) return undefined as unknown as Pod;
          throw err;
        });
        if (!base || base.metadata.uid !== pod.metadata.uid) return;
        if (sameStatus(base.status, status)) return;
      }
    }
    throw new ConflictError('pods', pod.metadata.name, 'status kept changing under the kubelet');
  }

  private async resyncLoop(): Promise<void> {
    const every = this.opts.resyncMs ?? 60_000;
    while (!this.abort.signal.aborted) {
      await this.clock.sleep(every, this.abort.signal);
      if (this.abort.signal.aborted) return;
      try {
        for (const key of this.informer.keys()) this.controller.enqueue(key);
        await this.housekeeping();
      } catch (e) {
        this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'resync failed');
      }
    }
  }

  /**
   * Queues every pod that has containers here but is not bound here (orphans after a restart), and
   * removes the directories of pods that are neither bound here nor have a container left.
   */
  private async housekeeping(): Promise<void> {
    const all: RuntimeContainer[] = await this.runtime.listContainers({ [LABELS.minion]: this.minion });
    const known = new Set(this.informer.keys());
    for (const c of all) {
      const key = metaNamespaceKey(c.labels[LABELS.namespace], c.labels[LABELS.podName]);
      if (!known.has(key)) this.controller.enqueue(key);
    }
    const live = new Set([...all.map((c) => c.labels[LABELS.podUid]), ...this.informer.list().map((p) => p.metadata.uid)]);
    for (const uid of this.volumes.podUids()) {
      if (!live.has(uid)) {
        this.log.info({ uid }, 'removing the directory of a pod no longer here');
        await this.volumes.tearDown(uid);
      }
    }
  }

  private async ensureNetwork(): Promise<void> {
    const backoff = new Backoff({ initialMs: 500, maxMs: 10_000, clock: this.clock });
    for (;;) {
      try {
        await this.runtime.ensureNetwork({
          name: this.network,
          subnet: this.opts.podCIDR,
          gateway: this.serviceAddress,
          labels: { [LABELS.minion]: this.minion },
        });
        return;
      } catch (e) {
        if (this.abort.signal.aborted) throw e;
        this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not create the pod network; retrying');
        await backoff.wait(this.abort.signal);
      }
    }
  }
}
