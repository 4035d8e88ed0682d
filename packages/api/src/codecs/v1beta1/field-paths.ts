// Maps a field path of the internal form (from store validation) to the v1beta1 field a user
// wrote: `spec.containers[0].image` -> `desiredState.manifest.containers[0].image`. A path with no
// v1beta1 counterpart is returned unchanged.
import type { ResourceName } from '@coxswain/objects';

/** `rest` begins at a path boundary: empty, `.x` or `[i]`. Returns it when `path` starts with `prefix` that way. */
function after(path: string, prefix: string): string | undefined {
  if (!path.startsWith(prefix)) return undefined;
  const rest = path.slice(prefix.length);
  return rest === '' || rest.startsWith('.') || rest.startsWith('[') ? rest : undefined;
}

/** Tries `[internalPrefix, wirePrefix]` pairs in order; the first that matches rewrites the path. */
function rename(path: string, pairs: [string, string][]): string | undefined {
  for (const [from, to] of pairs) {
    const rest = after(path, from);
    if (rest !== undefined) return `${to}${rest}`;
  }
  return undefined;
}

const META_FIELDS = ['namespace', 'uid', 'resourceVersion', 'generation', 'annotations', 'creationTimestamp', 'ownerReferences', 'generateName'];

function metaPath(path: string): string | undefined {
  return rename(path, [
    ['metadata.name', 'id'],
    ['metadata.labels', 'labels'],
    ...META_FIELDS.map((f): [string, string] => [`metadata.${f}`, f]),
  ]);
}

function containerSubPath(sub: string): string {
  return rename(sub, [
    ['.resources.limits.cpu', '.cpu'],
    ['.resources.limits.memory', '.memory'],
    ['.resources.requests.cpu', '.cpu'],
    ['.resources.requests.memory', '.memory'],
    ['.command', '.entrypoint'],
    ['.args', '.command'],
  ]) ?? sub;
}

/** `rest` follows an internal pod spec; `state` is the v1beta1 desired state holding its manifest. */
function podSpecPath(rest: string, state: string, nodeSelector: string): string | undefined {
  const c = /^\.containers\[(\d+)\](.*)$/.exec(rest);
  if (c) return `${state}.manifest.containers[${c[1]}]${containerSubPath(c[2])}`;
  if (rest === '') return `${state}.manifest`;
  const v = /^\.volumes\[(\d+)\]\.(emptyDir|hostPath|configMap|secret)(.*)$/.exec(rest);
  if (v) return `${state}.manifest.volumes[${v[1]}].source.${v[2] === 'hostPath' ? 'hostDir' : v[2]}${v[3]}`;
  return rename(rest, [
    ['.volumes', `${state}.manifest.volumes`],
    ['.containers', `${state}.manifest.containers`],
    ['.restartPolicy', `${state}.manifest.restartPolicy`],
    ['.nodeName', `${state}.host`],
    ['.nodeSelector', nodeSelector],
  ]);
}

function podPath(path: string): string | undefined {
  const spec = after(path, 'spec');
  if (spec !== undefined) return podSpecPath(spec, 'desiredState', 'nodeSelector');
  // info is keyed by container name, not by index.
  if (after(path, 'status.containerStatuses') !== undefined) return 'currentState.info';
  return rename(path, [
    ['status.phase', 'currentState.status'],
    ['status.hostIP', 'currentState.hostIP'],
    ['status.podIP', 'currentState.podIP'],
    ['status', 'currentState'],
  ]);
}

function replicationControllerPath(path: string): string | undefined {
  const tspec = after(path, 'spec.template.spec');
  if (tspec !== undefined) return podSpecPath(tspec, 'desiredState.podTemplate.desiredState', 'desiredState.podTemplate.nodeSelector');
  return rename(path, [
    ['spec.replicas', 'desiredState.replicas'],
    ['spec.selector', 'desiredState.replicaSelector'],
    ['spec.template.metadata.labels', 'desiredState.podTemplate.labels'],
    ['spec.template.metadata.annotations', 'desiredState.podTemplate.annotations'],
    ['spec.template.metadata', 'desiredState.podTemplate.labels'],
    ['spec.template', 'desiredState.podTemplate'],
    ['spec', 'desiredState'],
    ['status', 'currentState'],
  ]);
}

function servicePath(path: string): string | undefined {
  const p = /^spec\.ports\[(\d+)\](.*)$/.exec(path);
  if (p) {
    const [i, sub] = [Number(p[1]), p[2]];
    const renamed = rename(sub, [['.targetPort', '.containerPort']]) ?? sub;
    // The first port is the top-level port/containerPort/protocol a 2014 client wrote.
    if (i === 0 && (sub === '.port' || sub === '.targetPort' || sub === '.protocol')) return renamed.slice(1);
    return `ports[${i}]${renamed}`;
  }
  return rename(path, [
    ['spec.ports', 'port'],
    ['spec.selector', 'selector'],
    ['spec.sessionAffinity', 'sessionAffinity'],
    ['spec.clusterIP', 'portalIP'],
    ['spec', 'port'],
  ]);
}

function minionPath(path: string): string | undefined {
  const c = /^status\.conditions\[(\d+)\](.*)$/.exec(path);
  if (c) return `status.conditions[${c[1]}]${rename(c[2], [['.type', '.kind'], ['.lastHeartbeatTime', '.lastProbeTime']]) ?? c[2]}`;
  return rename(path, [
    ['spec.podCIDR', 'podCIDR'],
    ['spec.unschedulable', 'unschedulable'],
    ['status.capacity', 'resources.capacity'],
  ]);
}

function endpointsPath(path: string): string | undefined {
  // The flat ip:port list has no structure to point into.
  return after(path, 'subsets') !== undefined ? 'endpoints' : undefined;
}

function eventPath(path: string): string | undefined {
  return rename(path, [['source.component', 'source'], ['source.host', 'host']]);
}

const BY_RESOURCE: Record<ResourceName, (path: string) => string | undefined> = {
  pods: podPath,
  replicationControllers: replicationControllerPath,
  // Not served in v1beta1 (apps/v1, autoscaling/v1 only): their paths are never rendered there.
  deployments: (path) => path,
  horizontalpodautoscalers: (path) => path,
  services: servicePath,
  minions: minionPath,
  endpoints: endpointsPath,
  events: eventPath,
  // v1 only: never rendered in v1beta1.
  resourcequotas: (path) => path,
  limitranges: (path) => path,
  namespaces: (path) => path,
  configmaps: (path) => path,
  secrets: (path) => path,
};

export function v1beta1FieldPath(resource: ResourceName, internalPath: string): string {
  return metaPath(internalPath) ?? BY_RESOURCE[resource]?.(internalPath) ?? internalPath;
}
