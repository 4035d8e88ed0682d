// The container runtime as the kubelet sees it: a small, CRI-like surface that both the Docker
// runtime and the in-memory runtime (tests, hollow minions) implement. Containers are found again by
// their labels, never by in-process memory, so a restarted kubelet adopts what is running.

/** Labels on every container a kubelet creates. */
export const LABELS = {
  minion: 'coxswain.minion',
  namespace: 'coxswain.pod.namespace',
  podName: 'coxswain.pod.name',
  podUid: 'coxswain.pod.uid',
  container: 'coxswain.container.name',
  hash: 'coxswain.container.hash',
  /** How many times this container of this pod was started before (its restart count). */
  attempt: 'coxswain.container.attempt',
  /** The pod's grace period, so a kubelet that lost the pod object can still stop it gracefully. */
  gracePeriod: 'coxswain.pod.terminationGracePeriod',
  /** On sandboxes: the host ports they publish (`8000/TCP,53/UDP`), known even once the pod is deleted. */
  hostPorts: 'coxswain.pod.hostPorts',
} as const;

/** The container name the infra (sandbox) container carries in its `coxswain.container.name` label. */
export const SANDBOX_NAME = 'POD';

export type ContainerStateName = 'created' | 'running' | 'exited' | 'unknown';

export interface RuntimeContainer {
  id: string;
  /** The runtime's own name of the container (unique per engine). */
  name: string;
  image: string;
  labels: Record<string, string>;
  state: ContainerStateName;
  /** RFC 3339. */
  createdAt: string;
  /** Set by inspect (list may leave them out). RFC 3339. */
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  /** Why the runtime ended it, when it knows ("OOMKilled", or a start error). */
  reason?: string;
  message?: string;
  /** The container's address on its network (sandboxes). */
  ip?: string;
}

export interface NetworkSpec {
  name: string;
  /** CIDR, e.g. 172.30.11.0/24. */
  subnet: string;
  gateway: string;
  labels?: Record<string, string>;
}

export interface PortMapping {
  containerPort: number;
  hostPort: number;
  protocol: 'tcp' | 'udp';
  hostIp: string;
}

export interface SandboxConfig {
  name: string;
  image: string;
  labels: Record<string, string>;
  network: string;
  hostname?: string;
  /** Host ports are published on the sandbox, which owns the pod's network namespace. */
  ports: PortMapping[];
}

/** A directory or file of the minion bind-mounted into a container (a pod volume). */
export interface VolumeMountConfig {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface ContainerConfig {
  name: string;
  image: string;
  /** Replaces the image's entrypoint. */
  command?: string[];
  /** Replaces the image's cmd. */
  args?: string[];
  /** `NAME=value` strings. */
  env: string[];
  workingDir?: string;
  labels: Record<string, string>;
  /** The sandbox whose network namespace the container joins. */
  sandboxId: string;
  nanoCpus?: number;
  memoryBytes?: number;
  /** `uid` or `uid:gid` (securityContext.runAsUser/runAsGroup); absent: the image's user. */
  user?: string;
  /** Most processes the container may have (a fork bomb stops there). */
  pidsLimit?: number;
  /** The pod's volumes this container mounts (the memory runtime records them only). */
  mounts?: VolumeMountConfig[];
}

export interface ExecResult {
  exitCode: number;
  output: string;
  timedOut?: boolean;
}

/** An interactive process in a container (exec) or the container's own streams (attach). */
export interface StreamOptions {
  stdin: boolean;
  tty: boolean;
}

export interface StreamSession {
  /** Present when stdin was asked for; end() closes the process's stdin. */
  stdin?: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream;
  /** Empty with a tty (the terminal merges the two). */
  stderr: NodeJS.ReadableStream;
  resize(size: { width: number; height: number }): Promise<void>;
  /** Resolves once both output streams have ended: the exit code of an exec, undefined for attach. */
  finished: Promise<number | undefined>;
  /** Cuts the streams (the client went away). */
  close(): void;
}

export interface LogOptions {
  follow?: boolean;
  /** Only the last N lines. */
  tail?: number;
  /** Epoch milliseconds: only lines written at or after it. */
  since?: number;
  /** Each line prefixed with the time it was written (RFC 3339) and a space, as Docker and Kubernetes do. */
  timestamps?: boolean;
  /** Ends a following stream. */
  signal?: AbortSignal;
}

/**
 * A running container's resource use as its cgroup counts it, read at one instant. CPU is cumulative
 * (a rate needs two readings); memory is the current figure.
 */
export interface ContainerUsage {
  /** When it was read, ms since the epoch (the runtime's clock). */
  timestampMs: number;
  /** CPU time used since the container started, in nanoseconds. */
  cpuUsageNanoSeconds: number;
  /** All memory charged to the cgroup, page cache included. */
  memoryUsageBytes: number;
  /** usage minus inactive file pages: what the kernel cannot reclaim easily, the figure OOM kills go by (kubectl top's). */
  memoryWorkingSetBytes: number;
  /** Anonymous memory (RSS). */
  memoryRssBytes: number;
}

export type RuntimeEventType = 'start' | 'die' | 'destroy';

export interface RuntimeEvent {
  type: RuntimeEventType;
  id: string;
  labels: Record<string, string>;
}

export interface ContainerRuntime {
  readonly kind: 'docker' | 'memory';
  /** Creates the bridge network if it is missing (idempotent); fails if one with another subnet is in use. */
  ensureNetwork(spec: NetworkSpec): Promise<void>;
  removeNetwork(name: string): Promise<void>;
  /** Every container (running or not) carrying all the given labels. */
  listContainers(labels: Record<string, string>): Promise<RuntimeContainer[]>;
  /** Full state of one container; ContainerNotFoundError if gone. */
  inspect(id: string): Promise<RuntimeContainer>;
  /**
   * Creates and starts the infra container on the network; returns its id. `onCreated` hears the id
   * once it is created, before its start (the network attach, the slow part), so app containers can
   * be created meanwhile; they may start only once this resolves. A sandbox that fails to start is
   * removed.
   */
  runSandbox(config: SandboxConfig, onCreated?: (id: string) => void): Promise<string>;
  createContainer(config: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after the grace period. A stopped or missing container is fine. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /** Removes a container (force); a missing one is fine. */
  removeContainer(id: string): Promise<void>;
  exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult>;
  /** Starts `command` in the running container with streams (kubectl exec). */
  execStream(id: string, command: string[], opts: StreamOptions): Promise<StreamSession>;
  /** The running container's own streams (kubectl attach). */
  attach(id: string, opts: StreamOptions): Promise<StreamSession>;
  /** The container's output (stdout and stderr interleaved). */
  logs(id: string, opts?: LogOptions): Promise<NodeJS.ReadableStream>;
  /** A running container's resource use; ContainerNotFoundError if gone, undefined if not running. */
  usage(id: string): Promise<ContainerUsage | undefined>;
  hasImage(image: string): Promise<boolean>;
  /** The user an image runs as when none is given (`Config.User`; '' is root). */
  imageUser(image: string): Promise<string>;
  /** ImagePullError when the image cannot be pulled. */
  pullImage(image: string): Promise<void>;
  /**
   * Subscribes to container lifecycle events of containers with these labels (the kubelet's
   * "something changed, sync that pod" signal). Returns an unsubscribe function.
   */
  subscribe(labels: Record<string, string>, handler: (event: RuntimeEvent) => void): () => void;
  close(): Promise<void>;
}

export class ContainerNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`container ${id} not found`);
  }
}

export class ImagePullError extends Error {
  constructor(readonly image: string, detail: string) {
    super(`failed to pull image "${image}": ${detail}`);
  }
}

/**
 * The runtime refuses the image reference itself (Docker: "invalid reference format"): no pull or
 * retry can help, so the kubelet shows the container Waiting / InvalidImageName.
 */
export class InvalidImageNameError extends Error {
  constructor(readonly image: string, readonly reason: string) {
    super(`couldn't parse image reference "${image}": ${reason}`);
  }
}

/** A runtime call that failed in a way worth retrying (engine down, timeout). */
export class RuntimeError extends Error {}

/** Docker-style `NAME=value` lines from a record. */
export function envList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}
