// Pods: `desiredState.manifest` <-> `spec`, `currentState` <-> `status`. The container and pod
// state conversions here are shared with the replication controller's pod template.
import { formatCpu, formatMemory, parseCpu, parseMemory } from '@coxswain/objects';
import type { Container, ContainerState, ContainerStatus, Pod, PodPhase, PodSpec, PodStatus, Probe, RestartPolicy } from '@coxswain/objects';
import { metaFromInternal, metaToInternal, INTERNAL_VERSION } from './meta';
import { compact, copy, nonEmpty } from './object-utils';
import { volumeFromInternal, volumeMountFromInternal, volumeMountToInternal, volumeToInternal } from './volume-conversion';
import type {
  WireContainer, WireContainerState, WireContainerStatus, WireManifest, WirePod, WirePodState, WirePodStatus, WireProbe,
  WirePullPolicy, WireRestartPolicy,
} from './wire-types';

// ---- containers --------------------------------------------------------------------------------

const PULL_TO_INTERNAL: Record<WirePullPolicy, Container['imagePullPolicy']> = {
  PullAlways: 'Always', PullIfNotPresent: 'IfNotPresent', PullNever: 'Never', Always: 'Always', IfNotPresent: 'IfNotPresent', Never: 'Never',
};
const PULL_TO_WIRE: Record<NonNullable<Container['imagePullPolicy']>, WirePullPolicy> = {
  Always: 'PullAlways', IfNotPresent: 'PullIfNotPresent', Never: 'PullNever',
};

function probeToInternal(p: WireProbe | undefined): Probe | undefined {
  if (!p) return undefined;
  const { type: _deprecatedType, ...rest } = copy(p);
  return rest;
}

export function containerToInternal(c: WireContainer): Container {
  // 0 meant "no limit" in 2014.
  const limits = nonEmpty({ cpu: c.cpu ? formatCpu(c.cpu) : undefined, memory: c.memory ? formatMemory(c.memory) : undefined });
  return compact({
    name: c.name,
    image: c.image,
    command: copy(c.entrypoint),
    args: copy(c.command),
    workingDir: c.workingDir,
    env: c.env?.map((e) => compact({ name: e.name, value: e.value, valueFrom: copy(e.valueFrom) })),
    envFrom: copy(c.envFrom),
    ports: c.ports?.map((p) => compact({
      name: p.name,
      containerPort: p.containerPort,
      hostPort: p.hostPort ? p.hostPort : undefined,
      protocol: p.protocol,
    })),
    resources: limits ? { limits } : undefined,
    livenessProbe: probeToInternal(c.livenessProbe),
    readinessProbe: probeToInternal(c.readinessProbe),
    lifecycle: copy(c.lifecycle),
    imagePullPolicy: c.imagePullPolicy ? PULL_TO_INTERNAL[c.imagePullPolicy] : undefined,
    volumeMounts: c.volumeMounts?.length ? c.volumeMounts.map(volumeMountToInternal) : undefined,
  });
}

export function containerFromInternal(c: Container): WireContainer {
  const limits = c.resources?.limits;
  return compact({
    name: c.name,
    image: c.image,
    entrypoint: copy(c.command),
    command: copy(c.args),
    workingDir: c.workingDir,
    ports: c.ports?.map((p) => compact({ name: p.name, containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol })),
    env: c.env?.map((e) => compact({ name: e.name, value: e.value, valueFrom: copy(e.valueFrom) })),
    envFrom: copy(c.envFrom),
    cpu: limits?.cpu !== undefined ? parseCpu(limits.cpu) : undefined,
    memory: limits?.memory !== undefined ? parseMemory(limits.memory) : undefined,
    livenessProbe: copy(c.livenessProbe),
    readinessProbe: copy(c.readinessProbe),
    lifecycle: copy(c.lifecycle),
    imagePullPolicy: c.imagePullPolicy ? PULL_TO_WIRE[c.imagePullPolicy] : undefined,
    volumeMounts: c.volumeMounts?.map(volumeMountFromInternal),
  });
}

// ---- restart policy ----------------------------------------------------------------------------

export function restartPolicyToInternal(p: WireRestartPolicy | undefined): RestartPolicy | undefined {
  if (p === undefined || typeof p === 'string') return p;
  if (p.always) return 'Always';
  if (p.onFailure) return 'OnFailure';
  if (p.never) return 'Never';
  return undefined; // `{}`: 2014's default, which the API fills in
}

export function restartPolicyFromInternal(p: RestartPolicy | undefined): WireRestartPolicy | undefined {
  switch (p) {
    case 'Always': return { always: {} };
    case 'OnFailure': return { onFailure: {} };
    case 'Never': return { never: {} };
    default: return undefined;
  }
}

// ---- pod spec <-> desired state --------------------------------------------------------------

export function podSpecToInternal(state: WirePodState & { manifest: WireManifest }, nodeSelector?: Record<string, string>): PodSpec {
  return compact({
    containers: state.manifest.containers.map(containerToInternal),
    volumes: state.manifest.volumes?.length ? state.manifest.volumes.map(volumeToInternal) : undefined,
    restartPolicy: restartPolicyToInternal(state.manifest.restartPolicy),
    nodeName: state.host ? state.host : undefined,
    nodeSelector: copy(nodeSelector),
  });
}

/** The desired state for a spec; `manifestId` is what 2014 put in manifest.id (the pod's or the controller's id). */
export function podSpecFromInternal(spec: PodSpec, manifestId: string): WirePodState & { manifest: WireManifest } {
  return compact({
    manifest: compact({
      version: 'v1beta1',
      id: manifestId,
      volumes: spec.volumes?.map(volumeFromInternal),
      containers: spec.containers.map(containerFromInternal),
      restartPolicy: restartPolicyFromInternal(spec.restartPolicy),
    }),
    host: spec.nodeName,
  });
}

// ---- status <-> current state ----------------------------------------------------------------

/** The seed's three words for a pod's phase. */
export function podStatusWord(phase: PodPhase | undefined): WirePodStatus {
  switch (phase) {
    case 'Running': return 'Running';
    case 'Succeeded':
    case 'Failed': return 'Terminated';
    default: return 'Waiting'; // Pending, Unknown, or not yet written
  }
}

/** Waiting -> Pending; Terminated -> Succeeded when every container exited 0, else Failed. */
export function podPhaseOf(status: WirePodStatus, info: Record<string, WireContainerStatus> | undefined): PodPhase {
  if (status === 'Running') return 'Running';
  if (status === 'Waiting') return 'Pending';
  const exits = Object.values(info ?? {}).map((s) => s.state?.termination?.exitCode);
  return exits.length > 0 && exits.every((code) => code === 0) ? 'Succeeded' : 'Failed';
}

function stateToInternal(s: WireContainerState): ContainerState {
  return compact({ waiting: copy(s.waiting), running: copy(s.running), terminated: copy(s.termination) });
}

function stateFromInternal(s: ContainerState): WireContainerState {
  return compact({ waiting: copy(s.waiting), running: copy(s.running), termination: copy(s.terminated) });
}

function containerStatusToInternal(name: string, s: WireContainerStatus, specImage: string | undefined): ContainerStatus {
  return compact({
    name,
    state: stateToInternal(s.state ?? {}),
    lastState: s.lastState ? stateToInternal(s.lastState) : undefined,
    ready: s.ready ?? false,
    restartCount: s.restartCount ?? 0,
    image: s.image ?? specImage ?? '',
    imageID: s.imageID,
    containerID: s.containerID,
  });
}

function containerStatusFromInternal(s: ContainerStatus): WireContainerStatus {
  return compact({
    state: stateFromInternal(s.state),
    lastState: s.lastState ? stateFromInternal(s.lastState) : undefined,
    ready: s.ready,
    restartCount: s.restartCount,
    image: s.image,
    imageID: s.imageID,
    containerID: s.containerID,
  });
}

function statusToInternal(cur: WirePodState, spec: PodSpec): PodStatus {
  const images = new Map(spec.containers.map((c) => [c.name, c.image]));
  return compact({
    phase: cur.status ? podPhaseOf(cur.status, cur.info) : undefined,
    hostIP: cur.hostIP,
    podIP: cur.podIP,
    containerStatuses: cur.info
      ? Object.entries(cur.info).map(([name, s]) => containerStatusToInternal(name, s, images.get(name)))
      : undefined,
  });
}

function statusFromInternal(status: PodStatus | undefined, nodeName: string | undefined): WirePodState {
  const info = status?.containerStatuses?.length
    ? Object.fromEntries(status.containerStatuses.map((s) => [s.name, containerStatusFromInternal(s)]))
    : undefined;
  return compact({ status: podStatusWord(status?.phase), host: nodeName, hostIP: status?.hostIP, podIP: status?.podIP, info });
}

// ---- the pod -----------------------------------------------------------------------------------

export function podToInternal(b: WirePod): Pod {
  const spec = podSpecToInternal(b.desiredState, b.nodeSelector);
  return compact({
    apiVersion: INTERNAL_VERSION,
    kind: 'Pod' as const,
    metadata: metaToInternal(b),
    spec,
    status: b.currentState ? statusToInternal(b.currentState, spec) : undefined,
  });
}

export function podFromInternal(pod: Pod): WirePod {
  return compact({
    ...metaFromInternal('Pod', pod.metadata),
    desiredState: podSpecFromInternal(pod.spec, pod.metadata.name ?? ''),
    currentState: statusFromInternal(pod.status, pod.spec.nodeName),
    nodeSelector: copy(pod.spec.nodeSelector),
    labels: copy(pod.metadata.labels),
  });
}
