// Brings one pod's containers in line with its spec, level-based: it looks only at the pod object and
// at what the runtime shows (found by labels), so the same call serves a new pod, a resync, a
// container that died, and a kubelet that restarted and must adopt what is running.
//   - the infra container (sandbox) owns the network namespace and host ports; if it is gone or its
//     ports changed, the whole pod is recreated around a new one;
//   - an app container that runs with the spec's hash is kept; a changed hash recreates just it; a
//     dead one restarts per restart policy, with back-off (CrashLoopBackOff);
//   - images are pulled when missing; a failed pull waits (ErrImagePull / ImagePullBackOff); a
//     reference the runtime cannot parse waits for a spec change (InvalidImageName);
//   - a container the runtime refuses to create waits with its message (CreateContainerError);
//   - dead containers beyond the newest few per name are removed.
import type { Container, Handler, Pod, PodStatus, Service } from '@coxswain/objects';
import { Clock, imageReferenceProblem, metaNamespaceKey, parseCpu, parseMemory } from '@coxswain/objects';
import { Logger } from '@coxswain/process';
import { hashContainer, hashSandbox } from './container-hash';
import type { PortHolder } from './host-port-holders';
import { hostPortsLabel, hostPortsOf, hostPortsOfSandbox, isPortConflict } from './host-ports';
import { computePodStatus, ContainerView, restartCountOf } from './pod-status';
import type { Prober } from './prober';
import type { ProbeManager } from './probe-manager';
import { RestartBackoff } from './restart-backoff';
import {
  ContainerNotFoundError, ContainerRuntime, envList, ImagePullError, InvalidImageNameError, LABELS, PortMapping, RuntimeContainer, SANDBOX_NAME,
} from './runtime';
import { serviceEnv } from './service-env';
import { runAsFor } from './run-as';

/** Processes per container unless --pod-pids-limit says otherwise: room for any server, not for a fork bomb. */
export const DEFAULT_PIDS_LIMIT = 4096;
import type { ConfigSources } from './config-sources';
import { MissingConfigError } from './config-sources';
import { containerEnv, readsPodIP } from './container-env';
import { VolumeSetupError, type PodVolumes } from './pod-volumes';
import type { VolumeMountConfig } from './runtime';

/** What the syncer needs to report events (the store's EventRecorder fits). */
export interface Recorder {
  normal(involved: Pod, reason: string, message: string): void;
  warning(involved: Pod, reason: string, message: string): void;
}

export interface PodSyncerOptions {
  minion: string;
  /** The minion's address: host ports are published on it; the pods' hostIP. */
  hostIP: string;
  network: string;
  /** Where the minion's proxy serves services (the seed-era env vars point here). */
  serviceHost: string;
  podInfraImage: string;
  runtime: ContainerRuntime;
  recorder: Recorder;
  probes: ProbeManager;
  prober: Prober;
  clock: Clock;
  listServices: (namespace: string) => Promise<Service[]>;
  restartBackoff: RestartBackoff;
  pullBackoff: RestartBackoff;
  logger: Logger;
  /** Dead containers kept per pod container (for logs and lastState). Default 2. */
  keepDead?: number;
  /** Most processes one container may have (--pod-pids-limit). Default DEFAULT_PIDS_LIMIT; 0: no limit. */
  pidsLimit?: number;
  /**
   * The terminating pods on this minion that still hold some of these host ports (`8000/TCP`). A
   * pod whose ports are held waits for their teardown instead of failing its sandbox against them.
   */
  hostPortHolders?: (pod: Pod, wanted: string[]) => Promise<PortHolder[]>;
  /** A pod's sandbox stopped, so its host ports (undefined: not known) are free again. */
  onHostPortsReleased?: (key: string, ports: string[] | undefined) => void;
  /** The pods' volume directories on this minion. */
  volumes: PodVolumes;
  /** Where env valueFrom/envFrom read ConfigMaps and Secrets. */
  configSources: ConfigSources;
}

/** How soon a pod waiting for a missing ConfigMap or Secret looks again (it starts once the object exists). */
const CONFIG_RETRY_MS = 2_000;

export interface SyncResult {
  status: PodStatus;
  /** Sync again after this long (a back-off ends). */
  retryAfterMs?: number;
}

export const DEFAULT_GRACE_SECONDS = 30;
const HOOK_TIMEOUT_MS = 30_000;

export function gracePeriodOf(pod: Pod | undefined, containers: RuntimeContainer[] = []): number {
  const fromSpec = pod?.spec.terminationGracePeriodSeconds;
  if (fromSpec !== undefined) return fromSpec;
  const fromLabel = containers.map((c) => Number(c.labels[LABELS.gracePeriod])).find((n) => Number.isFinite(n));
  return fromLabel ?? DEFAULT_GRACE_SECONDS;
}

/** Newest first by attempt, then by creation time. */
function newestFirst(list: RuntimeContainer[]): RuntimeContainer[] {
  return [...list].sort((a, b) => restartCountOf(b) - restartCountOf(a) || b.createdAt.localeCompare(a.createdAt));
}

/** The pod's infra container as its app containers see it. */
interface PodSandbox {
  id: string;
  /** Made by this sync: every app container is (re)started in it. */
  fresh: boolean;
  /** Its IP once it has started (app containers start only then); rejects with SandboxFailed if it did not. */
  started: Promise<string | undefined>;
}

/** The sandbox did not start; the pod waits (ContainerCreating) with this message. */
class SandboxFailed extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

function dockerName(part: string): string {
  return part.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

export class PodSyncer {
  /** Containers whose liveness probe failed, waiting to be killed by the next sync. */
  private readonly unhealthy = new Map<string, string>();
  /** Last pull failure per pod container: when and why. */
  private readonly pullFailures = new Map<string, { at: number; message: string }>();
  /** Last failure to create a pod's sandbox (a host port in use, ...), and the host ports it wanted. */
  private readonly sandboxFailures = new Map<string, { at: number; message: string; portConflict?: string[] }>();
  private readonly keepDead: number;
  /** Containers whose OOM kill has had its event (a dead container is seen at every sync until removed). */
  private readonly oomReported = new Set<string>();
  /** Each container's volume mounts, per pod key, from the pod's last volume set-up. */
  private readonly mounts = new Map<string, Map<string, VolumeMountConfig[]>>();

  constructor(private readonly o: PodSyncerOptions) {
    this.keepDead = o.keepDead ?? 2;
  }

  markUnhealthy(containerId: string, message: string): void {
    this.unhealthy.set(containerId, message);
  }

  async syncPod(pod: Pod, found: RuntimeContainer[]): Promise<SyncResult> {
    const o = this.o;
    const uid = pod.metadata.uid ?? '';
    const key = metaNamespaceKey(pod);
    const grace = gracePeriodOf(pod);

    // Containers of an earlier pod with the same name (deleted and created again) go first.
    const stale = found.filter((c) => c.labels[LABELS.podUid] !== uid);
    if (stale.length) {
      await this.killContainers(stale, undefined, grace, true);
      this.sandboxesGone(key, stale, undefined);
    }
    const mine = found.filter((c) => c.labels[LABELS.podUid] === uid);

    let retryAfterMs: number | undefined;
    const retryIn = (ms: number) => {
      retryAfterMs = retryAfterMs === undefined ? ms : Math.min(retryAfterMs, ms);
    };

    // ---- the sandbox ----
    const sandboxes = newestFirst(mine.filter((c) => c.labels[LABELS.container] === SANDBOX_NAME));
    const apps = mine.filter((c) => c.labels[LABELS.container] !== SANDBOX_NAME);

    // A pod that has finished for good (Never / OnFailure with every container done) keeps no
    // infra container running, and never gets a new one.
    const finished = await this.finishedViews(pod, apps);
    if (finished) {
      const running = sandboxes.filter((s) => s.state === 'running');
      for (const s of running) await o.runtime.stopContainer(s.id, 0).catch(() => undefined);
      if (running.length) this.sandboxesGone(key, running, pod);
      o.probes.stopPod(key);
      const status = computePodStatus({ pod, views: finished, hostIP: o.hostIP, podIP: pod.status?.podIP, now: o.clock.now() });
      return { status };
    }
    // ---- volumes: set up (or refreshed: a changed ConfigMap) before anything starts ----
    try {
      this.mounts.set(key, await o.volumes.setUp(pod));
    } catch (e) {
      if (!(e instanceof VolumeSetupError)) throw e;
      o.recorder.warning(pod, 'FailedMount', e.message);
      // A hostPath outside the allow-list stays refused until the kubelet's flags change: no retry.
      if (e.reason === 'FailedMount') retryIn(CONFIG_RETRY_MS);
      const views = pod.spec.containers.map((spec) => {
        const history = newestFirst(apps.filter((c) => c.labels[LABELS.container] === spec.name));
        return { spec, current: history[0], ready: false, waiting: { reason: 'CreateContainerConfigError', message: e.message } };
      });
      const running = apps.filter((c) => c.state === 'running');
      if (running.length === 0) return { status: computePodStatus({ pod, views, hostIP: o.hostIP, podIP: pod.status?.podIP, now: o.clock.now() }), retryAfterMs };
      // Containers already running keep their mounts (a ConfigMap deleted later does not stop them).
    }
    const wantSandboxHash = hashSandbox(pod);
    let kept = sandboxes[0] && sandboxes[0].state === 'running' ? await this.inspectOrUndefined(sandboxes[0].id) : undefined;
    if (kept && (kept.state !== 'running' || kept.labels[LABELS.hash] !== wantSandboxHash)) kept = undefined;
    let sandbox: PodSandbox;
    if (!kept) {
      const running = apps.filter((c) => c.state === 'running');
      if (running.length) {
        o.recorder.normal(pod, 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
        await this.killContainers(running, pod, grace, false);
      }
      for (const s of sandboxes) await o.runtime.removeContainer(s.id).catch(() => undefined);
      const attempt = sandboxes.length ? restartCountOf(sandboxes[0]) + 1 : 0;
      const made = await this.makeSandbox(pod, attempt, wantSandboxHash, grace);
      if ('error' in made) return this.sandboxFailed(pod, made.error, made.retryAfterMs, retryAfterMs);
      sandbox = made;
    } else {
      for (const s of sandboxes.slice(1)) if (s.state !== 'running') await o.runtime.removeContainer(s.id).catch(() => undefined);
      sandbox = { id: kept.id, fresh: false, started: Promise.resolve(kept.ip) };
    }

    // ---- app containers ----
    let services: Service[] | undefined;
    // A container started without its services' variables would run broken for its whole life (a
    // frontend without REDISMASTER_SERVICE_HOST), so unread services keep it waiting, as Kubernetes'
    // kubelet does ("cannot construct envvars"), and it is retried.
    const env = async () => {
      const namespace = pod.metadata.namespace ?? 'default';
      services ??= await o.listServices(namespace).catch((e: unknown) => {
        throw new MissingConfigError(`the services of namespace ${namespace} could not be read, so the environment variables cannot be made: ${errText(e)}`);
      });
      return serviceEnv(services, o.serviceHost);
    };
    const views: ContainerView[] = [];
    const keepIds = new Set<string>();
    for (const spec of pod.spec.containers) {
      const history = newestFirst(apps.filter((c) => c.labels[LABELS.container] === spec.name));
      const view = await this.syncContainer(pod, spec, history, sandbox, env, retryIn);
      if (view.current) keepIds.add(view.current.id);
      views.push(view);
      await this.collectGarbage(history, view);
    }
    // Containers whose name is no longer in the spec.
    const names = new Set(pod.spec.containers.map((c) => c.name));
    const dropped = apps.filter((c) => !names.has(c.labels[LABELS.container]));
    if (dropped.length) await this.killContainers(dropped, undefined, grace, true);
    o.probes.stopPod(key, keepIds);

    let podIP: string | undefined;
    try {
      podIP = await sandbox.started;
    } catch (e) {
      if (!(e instanceof SandboxFailed)) throw e;
      return this.sandboxFailed(pod, e.message, e.retryAfterMs, retryAfterMs);
    }
    const status = computePodStatus({ pod, views, hostIP: o.hostIP, podIP, now: o.clock.now() });
    return { status, retryAfterMs };
  }

  /** A pod whose sandbox could not be made: every container waits, ContainerCreating, with the reason. */
  private sandboxFailed(pod: Pod, error: string, retryAfterMs: number | undefined, earlierRetry: number | undefined): SyncResult {
    const views = pod.spec.containers.map((spec) => ({ spec, ready: false, waiting: { reason: 'ContainerCreating', message: error } }));
    const retries = [retryAfterMs, earlierRetry].filter((ms): ms is number => ms !== undefined);
    return { status: computePodStatus({ pod, views, hostIP: this.o.hostIP, now: this.o.clock.now() }), retryAfterMs: retries.length ? Math.min(...retries) : undefined };
  }

  /**
   * Creates and starts the pod's sandbox. Its start (the network attach) is the slow part of a pod's
   * startup, so this resolves as soon as the sandbox is created, and the app containers are created
   * while it starts (Docker lets a container join a created one; it starts only once that runs).
   * Not for a pod with host ports: a port in use shows only at the sandbox's start, and a refused
   * sandbox must leave no app container behind. An error before that is returned as such.
   */
  private async makeSandbox(pod: Pod, attempt: number, hash: string, grace: number): Promise<PodSandbox | { error: string; retryAfterMs?: number }> {
    let created!: (id: string) => void;
    const early = new Promise<string>((resolve) => (created = resolve));
    const run = this.createSandbox(pod, attempt, hash, grace, hostPortsOf(pod).length ? undefined : created);
    const first = await Promise.race([early, run]);
    if (typeof first !== 'string') return 'error' in first ? first : { id: first.sandbox.id, fresh: true, started: Promise.resolve(first.sandbox.ip) };
    const started = run.then((r) => {
      if ('error' in r) throw new SandboxFailed(r.error, r.retryAfterMs);
      return r.sandbox.ip;
    });
    started.catch(() => undefined); // seen by whoever awaits it; not an unhandled rejection meanwhile
    return { id: first, fresh: true, started };
  }

  /** The views of a pod whose containers have all terminated and will not restart; undefined otherwise. */
  private async finishedViews(pod: Pod, apps: RuntimeContainer[]): Promise<ContainerView[] | undefined> {
    const policy = pod.spec.restartPolicy ?? 'Always';
    if (policy === 'Always') return undefined;
    const views: ContainerView[] = [];
    for (const spec of pod.spec.containers) {
      const history = newestFirst(apps.filter((c) => c.labels[LABELS.container] === spec.name));
      if (!history[0] || history[0].state === 'running' || history[0].state === 'created') return undefined;
      const current = await this.inspectOrUndefined(history[0].id);
      if (!current || current.state !== 'exited') return undefined;
      if (policy === 'OnFailure' && current.exitCode !== 0) return undefined;
      if (current.labels[LABELS.hash] !== hashContainer(spec)) return undefined;
      const previous = history[1] && history[1].state === 'exited' ? await this.inspectOrUndefined(history[1].id) : undefined;
      views.push({ spec, current, previous, ready: false });
    }
    return views;
  }

  /** Stops (preStop hooks, SIGTERM, grace period, kill) and removes every container given. */
  async killPod(pod: Pod | undefined, containers: RuntimeContainer[], key: string): Promise<void> {
    this.o.probes.stopPod(key);
    await this.killContainers(containers, pod, gracePeriodOf(pod, containers), true);
    // Its containers are gone: so go its volumes (emptyDir data, configMap and secret files).
    this.mounts.delete(key);
    for (const uid of new Set([pod?.metadata.uid, ...containers.map((c) => c.labels[LABELS.podUid])])) if (uid) await this.o.volumes.tearDown(uid);
    this.sandboxesGone(key, containers, pod);
    this.o.restartBackoff.forgetPrefix(`${key}/`);
    this.o.pullBackoff.forgetPrefix(`${key}/`);
    for (const m of [this.pullFailures, this.sandboxFailures]) for (const k of m.keys()) if (k.startsWith(`${key}/`)) m.delete(k);
  }

  /**
   * Forgets the sandbox back-off of every pod whose sandbox failed on a host port in use, among
   * `released` (all such pods if undefined): their next sync tries again at once. Returns their keys.
   */
  forgetPortConflicts(released: string[] | undefined): string[] {
    const free = released && new Set(released);
    const keys: string[] = [];
    for (const [k, f] of this.sandboxFailures) {
      if (!f.portConflict || (free && !f.portConflict.some((p) => free.has(p)))) continue;
      this.sandboxFailures.delete(k);
      this.o.restartBackoff.forget(k);
      keys.push(k.slice(0, k.length - SANDBOX_NAME.length - 1));
    }
    return keys;
  }

  // ---- internals -----------------------------------------------------------------------------

  /** Tells the kubelet that these containers' sandboxes (if any) no longer hold their host ports. */
  private sandboxesGone(key: string, containers: RuntimeContainer[], pod: Pod | undefined): void {
    const sandboxes = containers.filter((c) => c.labels[LABELS.container] === SANDBOX_NAME);
    if (!sandboxes.length || !this.o.onHostPortsReleased) return;
    const labelled = sandboxes.map(hostPortsOfSandbox);
    const ports = labelled.every((p) => p !== undefined) ? [...new Set(labelled.flat() as string[])] : pod ? hostPortsOf(pod) : undefined;
    this.o.onHostPortsReleased(key, ports);
  }

  private async syncContainer(
    pod: Pod,
    spec: Container,
    history: RuntimeContainer[],
    sandbox: PodSandbox,
    env: () => Promise<Record<string, string>>,
    retryIn: (ms: number) => void,
  ): Promise<ContainerView> {
    const o = this.o;
    const key = `${metaNamespaceKey(pod)}/${spec.name}`;
    const freshSandbox = sandbox.fresh;
    const hash = hashContainer(spec);
    let current = history[0] ? await this.inspectOrUndefined(history[0].id) : undefined;
    let previous = history[1] && history[1].state === 'exited' ? await this.inspectOrUndefined(history[1].id) : undefined;
    const view = (extra: Partial<ContainerView> = {}): ContainerView => ({
      spec,
      current,
      previous,
      ready: current?.state === 'running' ? o.probes.isReady(spec, current.id) : false,
      ...extra,
    });

    if (current?.state === 'running') {
      const unhealthy = this.unhealthy.get(current.id);
      if (current.labels[LABELS.hash] !== hash) {
        o.recorder.normal(pod, 'Killing', `Container ${spec.name} definition changed, will be restarted`);
        await this.killContainers([current], pod, gracePeriodOf(pod), false);
        current = await this.inspectOrUndefined(current.id);
        // A spec change is not a crash: restart at once.
        return this.startNew(pod, spec, hash, history, sandbox, env, retryIn, current, previous);
      }
      if (unhealthy !== undefined) {
        o.recorder.normal(pod, 'Killing', `Container ${spec.name} failed liveness probe, will be restarted`);
        await this.killContainers([current], pod, gracePeriodOf(pod), false);
        current = await this.inspectOrUndefined(current.id);
      } else if (!freshSandbox) {
        o.probes.ensure(metaNamespaceKey(pod), spec, current.id, await sandbox.started);
        return view();
      }
    }
    if (current?.state === 'created') {
      // Created but never started (the kubelet stopped in between): start it now.
      let podIP: string | undefined;
      try {
        podIP = await sandbox.started;
        await o.runtime.startContainer(current.id);
      } catch (e) {
        if (e instanceof SandboxFailed) return view();
        o.recorder.warning(pod, 'Failed', `Error: failed to start container ${spec.name}: ${errText(e)}`);
      }
      current = await this.inspectOrUndefined(current.id);
      if (current?.state === 'running') o.probes.ensure(metaNamespaceKey(pod), spec, current.id, podIP);
      return view();
    }
    if (current && current.state !== 'running') {
      if (current.reason === 'OOMKilled' && !this.oomReported.has(current.id)) {
        this.oomReported.add(current.id);
        const limit = spec.resources?.limits?.memory;
        o.recorder.warning(pod, 'OOMKilled', `Container ${spec.name} was killed: out of memory${limit ? ` (memory limit ${limit})` : ''}`);
      }
      const policy = pod.spec.restartPolicy ?? 'Always';
      const restart = freshSandbox || policy === 'Always' || (policy === 'OnFailure' && current.exitCode !== 0);
      if (!restart) return view();
      const finishedAt = current.finishedAt ? Date.parse(current.finishedAt) : o.clock.now();
      const wait = freshSandbox ? 0 : o.restartBackoff.remaining(key, finishedAt);
      if (wait > 0) {
        retryIn(wait);
        const delay = Math.round(o.restartBackoff.current(key) / 1000);
        return view({
          waiting: { reason: 'CrashLoopBackOff', message: `back-off ${delay}s restarting failed container=${spec.name} pod=${pod.metadata.name}` },
        });
      }
      o.restartBackoff.next(key);
      previous = current;
    }
    return this.startNew(pod, spec, hash, history, sandbox, env, retryIn, current, previous);
  }

  private async startNew(
    pod: Pod,
    spec: Container,
    hash: string,
    history: RuntimeContainer[],
    sandbox: PodSandbox,
    env: () => Promise<Record<string, string>>,
    retryIn: (ms: number) => void,
    current: RuntimeContainer | undefined,
    previous: RuntimeContainer | undefined,
  ): Promise<ContainerView> {
    const o = this.o;
    const pkey = metaNamespaceKey(pod);
    const key = `${pkey}/${spec.name}`;
    const last = current ?? previous;
    const shown = (waiting: ContainerView['waiting']): ContainerView => ({
      spec,
      current: last,
      previous: current ? previous : undefined,
      ready: false,
      waiting,
    });

    const pulled = await this.ensureImage(pod, spec, key, retryIn);
    if (pulled) return shown(pulled);

    const runAs = await runAsFor(pod, spec, () => o.runtime.imageUser(spec.image));
    if ('refused' in runAs) {
      o.recorder.warning(pod, 'Failed', `Error: ${runAs.refused}`);
      o.restartBackoff.next(key);
      retryIn(o.restartBackoff.current(key));
      return shown({ reason: 'CreateContainerConfigError', message: runAs.refused });
    }
    let specEnv: Record<string, string>;
    let servicesEnv: Record<string, string>;
    try {
      // Only an env var that reads the pod's IP waits for the sandbox to start.
      specEnv = await containerEnv(pod, spec, o.configSources, readsPodIP(spec) ? await sandbox.started : undefined);
      servicesEnv = await env();
    } catch (e) {
      if (e instanceof SandboxFailed) return shown({ reason: 'ContainerCreating', message: e.message });
      if (!(e instanceof MissingConfigError)) throw e;
      o.recorder.warning(pod, 'Failed', `Error: ${e.message}`);
      retryIn(CONFIG_RETRY_MS);
      return shown({ reason: 'CreateContainerConfigError', message: e.message });
    }

    const attempt = history.length ? restartCountOf(history[0]) + 1 : 0;
    const labels = this.labelsFor(pod, spec.name, hash, attempt);
    const limits = spec.resources?.limits;
    let id: string;
    try {
      id = await o.runtime.createContainer({
        name: this.containerName(pod, spec.name, attempt),
        image: spec.image,
        command: spec.command,
        args: spec.args,
        env: envList({ ...servicesEnv, ...specEnv }),
        workingDir: spec.workingDir,
        labels,
        sandboxId: sandbox.id,
        nanoCpus: limits?.cpu ? Math.round(parseCpu(limits.cpu) * 1e6) : undefined,
        memoryBytes: limits?.memory ? parseMemory(limits.memory) : undefined,
        user: runAs.user,
        pidsLimit: o.pidsLimit === 0 ? undefined : (o.pidsLimit ?? DEFAULT_PIDS_LIMIT),
        mounts: this.mounts.get(pkey)?.get(spec.name),
      });
    } catch (e) {
      // A sandbox that failed meanwhile (and was removed) is the reason, not this container.
      const sandboxFailure = await sandbox.started.then(() => undefined, (f: unknown) => f);
      if (sandboxFailure instanceof SandboxFailed) return shown({ reason: 'ContainerCreating', message: sandboxFailure.message });
      o.recorder.warning(pod, 'Failed', `Error: failed to create container ${spec.name}: ${errText(e)}`);
      o.restartBackoff.next(key);
      retryIn(o.restartBackoff.current(key));
      return shown({ reason: 'CreateContainerError', message: errText(e) });
    }
    let podIP: string | undefined;
    try {
      podIP = await sandbox.started;
    } catch (e) {
      // Nothing to join: the container goes with the sandbox that failed (the next sync makes both anew).
      await o.runtime.removeContainer(id).catch(() => undefined);
      if (e instanceof SandboxFailed) return shown({ reason: 'ContainerCreating', message: e.message });
      throw e;
    }
    o.recorder.normal(pod, 'Created', `Created container ${spec.name}`);
    try {
      await o.runtime.startContainer(id);
      o.recorder.normal(pod, 'Started', `Started container ${spec.name}`);
    } catch (e) {
      o.recorder.warning(pod, 'Failed', `Error: failed to start container ${spec.name}: ${errText(e)}`);
      retryIn(Math.max(1000, o.restartBackoff.current(key)));
    }
    let started = await this.inspectOrUndefined(id);
    if (started?.state === 'running' && spec.lifecycle?.postStart) {
      const outcome = await o.prober.run(spec.lifecycle.postStart, { podIP, containerId: id, container: spec }, HOOK_TIMEOUT_MS);
      if (!outcome.ok) {
        o.recorder.warning(pod, 'FailedPostStartHook', `PostStart hook of container ${spec.name} failed: ${outcome.message ?? ''}`);
        await o.runtime.stopContainer(id, 0).catch(() => undefined);
        started = await this.inspectOrUndefined(id);
        retryIn(Math.max(1000, o.restartBackoff.current(key)));
      }
    }
    if (started?.state === 'running') o.probes.ensure(pkey, spec, id, podIP);
    return {
      spec,
      current: started,
      previous: last && last.state === 'exited' ? last : previous,
      ready: started?.state === 'running' ? o.probes.isReady(spec, id) : false,
    };
  }

  /** Pulls the image when the policy asks; returns the waiting reason when the container cannot start yet. */
  private async ensureImage(pod: Pod, spec: Container, key: string, retryIn: (ms: number) => void): Promise<ContainerView['waiting'] | undefined> {
    const o = this.o;
    const policy = spec.imagePullPolicy ?? 'IfNotPresent';
    // The API refuses such a reference; one stored before that rule (or written past the API) is
    // caught here, before the runtime is asked, as Kubernetes' kubelet parses the reference first.
    const problem = imageReferenceProblem(spec.image);
    if (problem) return this.invalidImage(pod, new InvalidImageNameError(spec.image, problem));
    let present: boolean;
    try {
      present = policy === 'Always' ? false : await o.runtime.hasImage(spec.image);
    } catch (e) {
      if (e instanceof InvalidImageNameError) return this.invalidImage(pod, e);
      throw e;
    }
    if (present) return undefined;
    if (policy === 'Never') {
      o.recorder.warning(pod, 'ErrImageNeverPull', `Container image "${spec.image}" is not present with pull policy of Never`);
      return { reason: 'ErrImageNeverPull', message: `image "${spec.image}" is not present` };
    }
    const failed = this.pullFailures.get(key);
    if (failed) {
      const wait = o.pullBackoff.remaining(key, failed.at);
      if (wait > 0) {
        retryIn(wait);
        return { reason: 'ImagePullBackOff', message: `Back-off pulling image "${spec.image}": ${failed.message}` };
      }
    }
    o.recorder.normal(pod, 'Pulling', `Pulling image "${spec.image}"`);
    try {
      await o.runtime.pullImage(spec.image);
      this.pullFailures.delete(key);
      o.recorder.normal(pod, 'Pulled', `Successfully pulled image "${spec.image}"`);
      return undefined;
    } catch (e) {
      if (e instanceof InvalidImageNameError) return this.invalidImage(pod, e);
      const message = e instanceof ImagePullError ? e.message : `failed to pull image "${spec.image}": ${errText(e)}`;
      o.pullBackoff.next(key);
      this.pullFailures.set(key, { at: o.clock.now(), message });
      retryIn(o.pullBackoff.current(key));
      o.recorder.warning(pod, 'Failed', `Failed to pull image "${spec.image}": ${message}`);
      return { reason: 'ErrImagePull', message };
    }
  }

  /** Kubernetes' answer to a reference nothing can pull: an event, and Waiting until the spec changes. */
  private invalidImage(pod: Pod, e: InvalidImageNameError): ContainerView['waiting'] {
    this.o.recorder.warning(pod, 'InspectFailed', `Failed to apply default image tag "${e.image}": ${e.message}`);
    return { reason: 'InvalidImageName', message: e.message };
  }

  private async createSandbox(
    pod: Pod,
    attempt: number,
    hash: string,
    grace: number,
    onCreated?: (id: string) => void,
  ): Promise<{ sandbox: RuntimeContainer } | { error: string; retryAfterMs?: number }> {
    const o = this.o;
    const key = `${metaNamespaceKey(pod)}/${SANDBOX_NAME}`;
    const wanted = hostPortsOf(pod);
    const fail = (what: string, e: unknown) => {
      const error = `${what}: ${errText(e)}`;
      o.recorder.warning(pod, 'FailedCreatePodSandBox', error);
      o.restartBackoff.next(key);
      this.sandboxFailures.set(key, { at: o.clock.now(), message: error, portConflict: isPortConflict(error) ? wanted : undefined });
      return { error, retryAfterMs: o.restartBackoff.current(key) };
    };
    // Ports still held by a pod being torn down here will be free in a moment: wait for that
    // teardown (it requeues this pod when done) rather than fail against them and back off.
    const holders = wanted.length && o.hostPortHolders ? await o.hostPortHolders(pod, wanted) : [];
    if (holders.length) {
      const error = holders.map((h) => `waiting for pod ${h.key} (terminating) to release host port ${h.ports.join(', ')}`).join('; ');
      o.logger.info({ pod: metaNamespaceKey(pod), holders: holders.map((h) => h.key) }, 'host ports held by a terminating pod; waiting for its teardown');
      return { error };
    }
    const failed = this.sandboxFailures.get(key);
    const waitMs = failed ? o.restartBackoff.remaining(key, failed.at) : 0;
    if (failed && waitMs > 0) return { error: failed.message, retryAfterMs: waitMs };
    try {
      if (!(await o.runtime.hasImage(o.podInfraImage))) await o.runtime.pullImage(o.podInfraImage);
    } catch (e) {
      return fail(`Failed to pull infra image "${o.podInfraImage}"`, e);
    }
    const ports: PortMapping[] = [];
    for (const c of pod.spec.containers) {
      for (const p of c.ports ?? []) {
        if (!p.hostPort) continue;
        ports.push({ containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol === 'UDP' ? 'udp' : 'tcp', hostIp: o.hostIP });
      }
    }
    try {
      const labels = { ...this.labelsFor(pod, SANDBOX_NAME, hash, attempt), [LABELS.gracePeriod]: String(grace), [LABELS.hostPorts]: hostPortsLabel(wanted) };
      const id = await o.runtime.runSandbox({
        name: this.containerName(pod, SANDBOX_NAME, attempt),
        image: o.podInfraImage,
        labels,
        network: o.network,
        hostname: dockerName(pod.metadata.name).slice(0, 63),
        ports,
      }, onCreated);
      const sandbox = await o.runtime.inspect(id);
      this.sandboxFailures.delete(key);
      return { sandbox };
    } catch (e) {
      return fail('Failed to create pod sandbox', e);
    }
  }

  private labelsFor(pod: Pod, container: string, hash: string, attempt: number): Record<string, string> {
    return {
      [LABELS.minion]: this.o.minion,
      [LABELS.namespace]: pod.metadata.namespace ?? 'default',
      [LABELS.podName]: pod.metadata.name,
      [LABELS.podUid]: pod.metadata.uid ?? '',
      [LABELS.container]: container,
      [LABELS.hash]: hash,
      [LABELS.attempt]: String(attempt),
      [LABELS.gracePeriod]: String(gracePeriodOf(pod)),
    };
  }

  private containerName(pod: Pod, container: string, attempt: number): string {
    const uid = (pod.metadata.uid ?? 'nouid').replace(/-/g, '').slice(0, 8);
    return ['coxswain', container, pod.metadata.name, pod.metadata.namespace ?? 'default', uid, String(attempt)].map(dockerName).join('_');
  }

  /** Removes dead containers of one pod container beyond the newest `keepDead`. */
  private async collectGarbage(history: RuntimeContainer[], view: ContainerView): Promise<void> {
    const keep = new Set([view.current?.id, view.previous?.id].filter(Boolean) as string[]);
    const dead = history.filter((c) => c.state !== 'running' && !keep.has(c.id));
    const room = Math.max(0, this.keepDead - keep.size);
    for (const c of dead.slice(room)) {
      await this.o.runtime.removeContainer(c.id).catch((e) => this.o.logger.warn({ err: errText(e), id: c.id }, 'could not remove dead container'));
      this.oomReported.delete(c.id);
    }
  }

  /** Runs preStop hooks, stops app containers (in parallel) before sandboxes, and removes them if asked. */
  private async killContainers(list: RuntimeContainer[], pod: Pod | undefined, graceSeconds: number, remove: boolean): Promise<void> {
    const o = this.o;
    const apps = list.filter((c) => c.labels[LABELS.container] !== SANDBOX_NAME);
    const sandboxes = list.filter((c) => c.labels[LABELS.container] === SANDBOX_NAME);
    const stopOne = async (c: RuntimeContainer) => {
      this.unhealthy.delete(c.id);
      const started = o.clock.now();
      const spec = pod?.spec.containers.find((s) => s.name === c.labels[LABELS.container]);
      const preStop: Handler | undefined = spec?.lifecycle?.preStop;
      if (c.state === 'running' && preStop && spec) {
        const outcome = await o.prober.run(preStop, { containerId: c.id, container: spec }, graceSeconds * 1000);
        if (!outcome.ok && pod) o.recorder.warning(pod, 'FailedPreStopHook', `PreStop hook of container ${spec.name} failed: ${outcome.message ?? ''}`);
      }
      const left = Math.max(0, graceSeconds - (o.clock.now() - started) / 1000);
      if (c.state === 'running') await o.runtime.stopContainer(c.id, left);
      if (remove) await o.runtime.removeContainer(c.id);
      if (remove) this.oomReported.delete(c.id);
    };
    const settle = async (group: RuntimeContainer[]) => {
      const results = await Promise.allSettled(group.map(stopOne));
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      if (failed) throw failed.reason;
    };
    await settle(apps);
    await settle(sandboxes);
  }

  private async inspectOrUndefined(id: string): Promise<RuntimeContainer | undefined> {
    try {
      return await this.o.runtime.inspect(id);
    } catch (e) {
      if (e instanceof ContainerNotFoundError) return undefined;
      throw e;
    }
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
