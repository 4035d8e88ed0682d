// The internal object model: Kubernetes-v1-shaped (apiVersion, kind, metadata, spec, status).
// This is what etcd stores. Wire versions (v1beta1) are conversions of these types in @coxswain/api.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  /** Absent for cluster-scoped kinds (Minion). */
  namespace?: string;
  uid?: string;
  /** The etcd mod revision of the object's key, as a decimal string. */
  resourceVersion?: string;
  /** Bumped on every spec change (not on status writes). */
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** RFC 3339. */
  creationTimestamp?: string;
  ownerReferences?: OwnerReference[];
  /** Prefix for a server-generated name (the replication manager's pods). */
  generateName?: string;
  /** RFC 3339: when a delete that takes time (a namespace's) began. Set by the registry only. */
  deletionTimestamp?: string;
  /** Who set which fields (server-side apply): entries of { manager, operation, time, fieldsType, fieldsV1 }. */
  managedFields?: Array<Record<string, unknown>>;
}

export interface KubeObject<Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
}

// ---- Pod ------------------------------------------------------------------------------------------

export interface ContainerPort {
  name?: string;
  containerPort: number;
  hostPort?: number;
  protocol?: 'TCP' | 'UDP';
}

/** A key of a ConfigMap or Secret (or, when optional, nothing if it is missing). */
export interface KeySelector {
  name: string;
  key: string;
  optional?: boolean;
}

export interface EnvVarSource {
  configMapKeyRef?: KeySelector;
  secretKeyRef?: KeySelector;
  /** metadata.name, metadata.namespace, status.podIP (what the kubelet knows when it starts the container). */
  fieldRef?: { fieldPath: string; apiVersion?: string };
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: EnvVarSource;
}

/** Every key of a ConfigMap or Secret as a variable (prefixed). */
export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

// ---- volumes (issue #22) --------------------------------------------------------------------------

/** A key written as the file `path` (relative to the volume), with its own mode. */
export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface ConfigMapVolumeSource {
  name: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}

export interface SecretVolumeSource {
  secretName: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}

/** A directory of the pod's; `medium: Memory` makes it a tmpfs of at most sizeLimit. */
export interface EmptyDirVolumeSource {
  medium?: '' | 'Memory';
  sizeLimit?: string;
}

/** A volume of a pod: its name and exactly one source. */
export interface Volume {
  name: string;
  emptyDir?: EmptyDirVolumeSource;
  /** A directory of the minion (v1beta1's hostDir), allowed only under the kubelet's --allowed-host-paths. */
  hostPath?: { path: string; type?: string };
  configMap?: ConfigMapVolumeSource;
  secret?: SecretVolumeSource;
}

export const VOLUME_SOURCES = ['emptyDir', 'hostPath', 'configMap', 'secret'] as const;

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  /** A path inside the volume mounted instead of its root. */
  subPath?: string;
}

export interface ExecAction { command: string[] }
export interface HTTPGetAction { path?: string; port: number | string; host?: string }
export interface TCPSocketAction { port: number | string }

export interface Handler {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
}

export interface Probe extends Handler {
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
}

export interface Lifecycle {
  postStart?: Handler;
  preStop?: Handler;
}

/** Quantities: cpu in millicores ("250m", "1"), memory in bytes ("64Mi", "1000000"). See quantity.ts. */
export interface ResourceList {
  cpu?: string;
  memory?: string;
}

export interface ResourceRequirements {
  limits?: ResourceList;
  requests?: ResourceList;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  ports?: ContainerPort[];
  resources?: ResourceRequirements;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: Lifecycle;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  volumeMounts?: VolumeMount[];
  /** Overrides the pod's for this container. */
  securityContext?: SecurityContext;
}

/** The users a container runs as: what the kubelet honours of Kubernetes' securityContext. */
export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  /** Refuse to start a container that would run as root (uid 0). */
  runAsNonRoot?: boolean;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  restartPolicy?: RestartPolicy;
  /** The minion the pod is bound to; set only by binding. */
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  terminationGracePeriodSeconds?: number;
  securityContext?: SecurityContext;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastHeartbeatTime?: string;
  /** A Deployment's Progressing condition: when the rollout last moved (its deadline counts from here). */
  lastUpdateTime?: string;
}

export interface ContainerStateWaiting { reason?: string; message?: string }
export interface ContainerStateRunning { startedAt?: string }
export interface ContainerStateTerminated {
  exitCode: number;
  signal?: number;
  reason?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  containerID?: string;
}

export interface ContainerState {
  waiting?: ContainerStateWaiting;
  running?: ContainerStateRunning;
  terminated?: ContainerStateTerminated;
}

export interface ContainerStatus {
  name: string;
  state: ContainerState;
  lastState?: ContainerState;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID?: string;
  containerID?: string;
}

export interface PodStatus {
  phase?: PodPhase;
  conditions?: Condition[];
  message?: string;
  reason?: string;
  hostIP?: string;
  podIP?: string;
  startTime?: string;
  containerStatuses?: ContainerStatus[];
}

export interface Pod extends KubeObject<PodSpec, PodStatus> {
  kind: 'Pod';
  spec: PodSpec;
}

export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

// ---- ReplicationController -------------------------------------------------------------------------

export interface ReplicationControllerSpec {
  replicas: number;
  selector: Record<string, string>;
  template: PodTemplateSpec;
}

export interface ReplicationControllerStatus {
  replicas: number;
  readyReplicas?: number;
  observedGeneration?: number;
  /** ReplicaFailure (reason FailedCreate) while pods cannot be created, e.g. over a ResourceQuota. */
  conditions?: Condition[];
}

export interface ReplicationController extends KubeObject<ReplicationControllerSpec, ReplicationControllerStatus> {
  kind: 'ReplicationController';
  spec: ReplicationControllerSpec;
}

// ---- ResourceQuota and LimitRange (v1 only) --------------------------------------------------------

/**
 * Hard limits on what one namespace may hold, enforced when an object is created (quota.ts in the
 * registry): `pods`, `replicationcontrollers`, `services` (counts), `requests.cpu`, `requests.memory`,
 * `limits.cpu`, `limits.memory` (quantities).
 */
export const QUOTA_RESOURCES = ['pods', 'replicationcontrollers', 'services', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

export interface ResourceQuotaSpec {
  hard: Record<string, string>;
}

export interface ResourceQuotaStatus {
  /** The limits being enforced (spec.hard). */
  hard?: Record<string, string>;
  /** What the namespace holds against them, charged at admission and given back on delete. */
  used?: Record<string, string>;
}

export interface ResourceQuota extends KubeObject<ResourceQuotaSpec, ResourceQuotaStatus> {
  kind: 'ResourceQuota';
  spec: ResourceQuotaSpec;
}

/** Per-container defaults and bounds, applied to a pod when it is created. */
export interface LimitRangeItem {
  type: 'Container';
  /** Limits of a container that sets none. */
  default?: ResourceList;
  /** Requests of a container that sets none (else its limits, else `default`). */
  defaultRequest?: ResourceList;
  min?: ResourceList;
  max?: ResourceList;
}

export interface LimitRange extends KubeObject<{ limits: LimitRangeItem[] }> {
  kind: 'LimitRange';
  spec: { limits: LimitRangeItem[] };
}

// ---- ConfigMap and Secret (v1 only, issue #22) -----------------------------------------------------

/** Configuration a pod reads as files or environment variables: `data` (text) and `binaryData` (base64). */
export interface ConfigMap extends KubeObject<never> {
  kind: 'ConfigMap';
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  immutable?: boolean;
}

/**
 * Like a ConfigMap, for values that must not be shown: `data` holds base64. `stringData` is write
 * only: the registry merges it into `data` (encoded) on every write and never stores it.
 */
export interface Secret extends KubeObject<never> {
  kind: 'Secret';
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  immutable?: boolean;
}

// ---- Deployment (apps/v1) -------------------------------------------------------------------------

/** A count of pods, or a percentage of spec.replicas ("25%"). */
export type IntOrPercent = number | string;

export interface DeploymentStrategy {
  type: 'RollingUpdate' | 'Recreate';
  rollingUpdate?: { maxUnavailable?: IntOrPercent; maxSurge?: IntOrPercent };
}

export interface DeploymentSpec {
  replicas: number;
  /** matchLabels only: the replica primitive (the RC) selects by equality, so a Deployment does too. */
  selector: { matchLabels: Record<string, string> };
  template: PodTemplateSpec;
  strategy?: DeploymentStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  paused?: boolean;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: Condition[];
}

export interface Deployment extends KubeObject<DeploymentSpec, DeploymentStatus> {
  kind: 'Deployment';
  spec: DeploymentSpec;
}

// ---- HorizontalPodAutoscaler (autoscaling/v1) --------------------------------------------------------

export interface HorizontalPodAutoscalerSpec {
  /** What is scaled, through its replica count (a kind with a scale subresource). */
  scaleTargetRef: { kind: 'ReplicationController' | 'Deployment'; name: string; apiVersion?: string };
  /** Default 1. */
  minReplicas?: number;
  maxReplicas: number;
  /** Average CPU use of the pods as a percentage of what they request (default 80). */
  targetCPUUtilizationPercentage?: number;
}

export interface HorizontalPodAutoscalerStatus {
  observedGeneration?: number;
  lastScaleTime?: string;
  currentReplicas?: number;
  desiredReplicas?: number;
  currentCPUUtilizationPercentage?: number;
}

export interface HorizontalPodAutoscaler extends KubeObject<HorizontalPodAutoscalerSpec, HorizontalPodAutoscalerStatus> {
  kind: 'HorizontalPodAutoscaler';
  spec: HorizontalPodAutoscalerSpec;
}

// ---- Service ---------------------------------------------------------------------------------------

export interface ServicePort {
  name?: string;
  port: number;
  /** The pods' port: a number, or the name of a container port. */
  targetPort?: number | string;
  protocol?: 'TCP' | 'UDP';
}

export interface ServiceSpec {
  ports: ServicePort[];
  /** The service's portal IP (v1beta1 `portalIP`): set by the registry's allocator, never changed by an update. */
  clusterIP?: string;
  selector?: Record<string, string>;
  sessionAffinity?: 'None' | 'ClientIP';
  /** Defaulted to ClusterIP, the only type Coxswain serves. */
  type?: 'ClusterIP';
}

export interface Service extends KubeObject<ServiceSpec, { loadBalancer?: Record<string, never> }> {
  kind: 'Service';
  spec: ServiceSpec;
}

// ---- Minion ----------------------------------------------------------------------------------------

export interface MinionAddress { type: 'InternalIP' | 'Hostname'; address: string }

export interface MinionSpec {
  /** The minion's pod network, e.g. 172.30.1.0/24. */
  podCIDR?: string;
  unschedulable?: boolean;
}

export interface MinionStatus {
  addresses?: MinionAddress[];
  capacity?: ResourceList & { pods?: string };
  /** What pods may use: the capacity (no reservations for the system), as kubectl top reads it. */
  allocatable?: ResourceList & { pods?: string };
  /** What `kubectl get nodes -o wide` shows of the host. */
  nodeInfo?: { kubeletVersion?: string; osImage?: string; kernelVersion?: string; operatingSystem?: string; architecture?: string; containerRuntimeVersion?: string };
  conditions?: Condition[];
  /** Where the minion's kubelet serves logs, e.g. http://127.0.1.1:10250. */
  kubeletEndpoint?: string;
  /** Where the minion's proxy serves services (the pod network's gateway). */
  serviceAddress?: string;
}

/**
 * The Ready reason of a Minion its kubelet has registered (claiming its pod subnet) but not yet
 * described: addresses only, no serviceAddress or capacity until its first heartbeat.
 */
export const MINION_REGISTERING_REASON = 'KubeletRegistering';

/** Whether the kubelet has written the Minion's full status (at least one heartbeat). */
export function minionDescribed(m: Minion): boolean {
  return m.status?.conditions?.find((c) => c.type === 'Ready')?.reason !== MINION_REGISTERING_REASON;
}

export interface Minion extends KubeObject<MinionSpec, MinionStatus> {
  kind: 'Minion';
}

// ---- Endpoints -------------------------------------------------------------------------------------

export interface EndpointAddress {
  ip: string;
  nodeName?: string;
  targetRef?: { kind: string; name: string; namespace?: string; uid?: string };
}

export interface EndpointPort { name?: string; port: number; protocol?: 'TCP' | 'UDP' }

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

export interface Endpoints extends KubeObject<never, never> {
  kind: 'Endpoints';
  subsets: EndpointSubset[];
}

// ---- Event -----------------------------------------------------------------------------------------

export interface ObjectReference {
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  /** The revision of the change that caused the event. */
  resourceVersion?: string;
  fieldPath?: string;
}

export interface Event extends KubeObject<never, never> {
  kind: 'Event';
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  source?: { component: string; host?: string };
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
}

export type AnyObject = Pod | ReplicationController | Deployment | Service | Minion | Endpoints | Event;
