// The v1beta1 wire shapes (2014 Kubernetes, as on the seed's slides), plus the few Coxswain extras
// documented in docs/api-versions.md. Only what the conversions read and write is typed here; the
// JSON Schemas in schemas/v1beta1 are the full contract.
import type { ConfigMapVolumeSource, EmptyDirVolumeSource, EnvFromSource, EnvVarSource, OwnerReference, SecretVolumeSource } from '@coxswain/objects';

export interface TypeMeta {
  id?: string;
  kind?: string;
  apiVersion?: string;
  uid?: string;
  creationTimestamp?: string;
  selfLink?: string;
  /** Accepted as a number (2014) or a string; always emitted as a string. */
  resourceVersion?: string | number;
  namespace?: string;
  annotations?: Record<string, string>;
  generateName?: string;
  generation?: number;
  ownerReferences?: OwnerReference[];
  labels?: Record<string, string>;
}

export interface WirePort { name?: string; containerPort: number; hostPort?: number; protocol?: 'TCP' | 'UDP'; hostIP?: string }
export interface WireEnvVar { name: string; key?: string; value?: string; valueFrom?: EnvVarSource }
/** 2014's volume: `source: {emptyDir | hostDir}` (configMap and secret sources as in v1). */
export interface WireVolume {
  name: string;
  source?: { emptyDir?: EmptyDirVolumeSource; hostDir?: { path: string }; configMap?: ConfigMapVolumeSource; secret?: SecretVolumeSource } | null;
}
/** `path` is 2014's older name for mountPath. */
export interface WireVolumeMount { name: string; mountPath?: string; path?: string; readOnly?: boolean; subPath?: string }
export interface WireAction { command: string[] }
export interface WireHttpGet { path?: string; port: number | string; host?: string }
export interface WireTcpSocket { port: number | string }
export interface WireHandler { exec?: WireAction; httpGet?: WireHttpGet; tcpSocket?: WireTcpSocket }
export interface WireProbe extends WireHandler {
  type?: string;
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
}

export type WirePullPolicy = 'PullAlways' | 'PullIfNotPresent' | 'PullNever' | 'Always' | 'IfNotPresent' | 'Never';

export interface WireContainer {
  name: string;
  image: string;
  /** The image's entrypoint override (internal `command`). */
  entrypoint?: string[];
  /** 2014's command: the arguments to the entrypoint, Docker's Cmd (internal `args`). */
  command?: string[];
  workingDir?: string;
  ports?: WirePort[];
  env?: WireEnvVar[];
  /** Millicores; 0 or absent = no limit. */
  cpu?: number;
  /** Bytes; 0 or absent = no limit. */
  memory?: number;
  livenessProbe?: WireProbe;
  readinessProbe?: WireProbe;
  lifecycle?: { postStart?: WireHandler; preStop?: WireHandler };
  imagePullPolicy?: WirePullPolicy;
  envFrom?: EnvFromSource[];
  volumeMounts?: WireVolumeMount[] | null;
  privileged?: boolean;
}

export type WireRestartPolicy = 'Always' | 'OnFailure' | 'Never' | { always?: object; onFailure?: object; never?: object };

export interface WireManifest {
  version?: string;
  id?: string;
  uuid?: string;
  volumes?: WireVolume[] | null;
  containers: WireContainer[];
  restartPolicy?: WireRestartPolicy;
  dnsPolicy?: string;
}

export interface WireContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  termination?: {
    exitCode: number; signal?: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string; containerID?: string;
  };
}

export interface WireContainerStatus {
  state?: WireContainerState;
  lastState?: WireContainerState;
  ready?: boolean;
  restartCount?: number;
  podIP?: string;
  image?: string;
  imageID?: string;
  containerID?: string;
}

export type WirePodStatus = 'Waiting' | 'Running' | 'Terminated';

export interface WirePodState {
  manifest?: WireManifest;
  status?: WirePodStatus;
  host?: string;
  hostIP?: string;
  podIP?: string;
  /** Per-container status, keyed by container name. */
  info?: Record<string, WireContainerStatus>;
}

export interface WirePod extends TypeMeta {
  desiredState: WirePodState & { manifest: WireManifest };
  currentState?: WirePodState;
  nodeSelector?: Record<string, string>;
}

export interface WirePodTemplate {
  desiredState: WirePodState & { manifest: WireManifest };
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  nodeSelector?: Record<string, string>;
}

export interface WireReplicationController extends TypeMeta {
  desiredState: { replicas: number; replicaSelector: Record<string, string>; podTemplate: WirePodTemplate };
  currentState?: { replicas?: number; readyReplicas?: number; observedGeneration?: number; replicaSelector?: Record<string, string>; podTemplate?: unknown };
}

export interface WireServicePort { name?: string; port: number; containerPort?: number | string; protocol?: 'TCP' | 'UDP' }

export interface WireService extends TypeMeta {
  port: number;
  protocol?: 'TCP' | 'UDP';
  containerPort?: number | string;
  selector?: Record<string, string>;
  sessionAffinity?: 'None' | 'ClientIP';
  /** Coxswain extension: every port, when there are several or they are named. */
  ports?: WireServicePort[];
  portalIP?: string;
  proxyPort?: number;
  publicIPs?: string[];
  createExternalLoadBalancer?: boolean;
}

export interface WireMinionCondition {
  kind: string;
  status: 'Full' | 'None' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

export interface WireMinion extends TypeMeta {
  hostIP?: string;
  podCIDR?: string;
  unschedulable?: boolean;
  externalID?: string;
  resources?: { capacity?: { cpu?: number; memory?: number; pods?: number } };
  status?: {
    phase?: string;
    conditions?: WireMinionCondition[];
    addresses?: { type: 'InternalIP' | 'Hostname'; address: string }[];
    kubeletEndpoint?: string;
    serviceAddress?: string;
  };
}

export interface WireEndpointRef {
  endpoint: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  nodeName?: string;
  ready?: boolean;
}

export interface WireEndpoints extends TypeMeta {
  endpoints: string[] | null;
  protocol?: 'TCP' | 'UDP';
  targetRefs?: WireEndpointRef[];
}

export interface WireEvent extends TypeMeta {
  involvedObject: {
    kind: string; name: string; namespace?: string; uid?: string; apiVersion?: string; resourceVersion?: string | number; fieldPath?: string;
  };
  reason: string;
  message?: string;
  status?: string;
  source?: string;
  host?: string;
  timestamp?: string;
  firstTimestamp?: string;
  lastTimestamp?: string;
  count?: number;
  type?: 'Normal' | 'Warning';
}
