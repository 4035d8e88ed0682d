// The kinds the store knows: their REST resource name, whether they live in a namespace, and where
// they sit in etcd. One table, so that the API, the CLI and the store agree on names.

export type ResourceName =
  | 'pods'
  | 'replicationControllers'
  | 'deployments'
  | 'horizontalpodautoscalers'
  | 'services'
  | 'minions'
  | 'endpoints'
  | 'events'
  | 'resourcequotas'
  | 'limitranges'
  | 'namespaces'
  | 'configmaps'
  | 'secrets';
export interface ResourceInfo {
  kind: string;
  resource: ResourceName;
  namespaced: boolean;
  /** Whether the kind has a status written separately from its spec (PUT keeps status, status writes keep spec). */
  hasStatus: boolean;
  /** Short names and aliases accepted by the CLI (`rc`, `po`, `svc`, ...). */
  aliases: string[];
  /** The API group: '' for the core group (served under /api), else served under /apis/<group>. */
  group: string;
  /** The versions of its group that serve it, oldest first (the seed's kinds: v1beta1 and v1). */
  versions: readonly string[];
  /** Discovery's shortNames (what kubectl accepts for the resource: `po`, `rc`, `svc`). */
  shortNames: string[];
  /** Discovery's categories: `all` for what `kubectl get all` lists. */
  categories?: string[];
  /** Kubernetes' v1 names where they differ from the seed's: Minion became Node (`nodes`). */
  v1Names?: { resource: string; kind: string };
}

/** The core group's versions: the seed's wire format and the Kubernetes-v1-shaped one. */
export const CORE_VERSIONS: readonly string[] = ['v1beta1', 'v1'];
const core = { group: '', versions: CORE_VERSIONS };

export const RESOURCES: readonly ResourceInfo[] = [
  { kind: 'Pod', resource: 'pods', namespaced: true, hasStatus: true, aliases: ['pod', 'po'], shortNames: ['po'], categories: ['all'], ...core },
  {
    kind: 'ReplicationController',
    resource: 'replicationControllers',
    namespaced: true,
    hasStatus: true,
    aliases: ['replicationcontroller', 'replicationcontrollers', 'rc', 'controller', 'controllers'],
    shortNames: ['rc'],
    categories: ['all'],
    ...core,
  },
  // apps/v1 only: the seed's v1beta1 never had it.
  { kind: 'Deployment', resource: 'deployments', namespaced: true, hasStatus: true, aliases: ['deployment', 'deploy'], shortNames: ['deploy'], categories: ['all'], group: 'apps', versions: ['v1'] },
  // autoscaling/v1, as Kubernetes serves it: scales a kind with a scale subresource on CPU use.
  {
    kind: 'HorizontalPodAutoscaler',
    resource: 'horizontalpodautoscalers',
    namespaced: true,
    hasStatus: true,
    aliases: ['horizontalpodautoscaler', 'hpa'],
    shortNames: ['hpa'],
    categories: ['all'],
    group: 'autoscaling',
    versions: ['v1'],
  },
  { kind: 'Service', resource: 'services', namespaced: true, hasStatus: false, aliases: ['service', 'svc'], shortNames: ['svc'], categories: ['all'], ...core },
  {
    kind: 'Minion',
    resource: 'minions',
    namespaced: false,
    hasStatus: true,
    aliases: ['minion', 'node', 'nodes', 'no'],
    shortNames: ['no'],
    v1Names: { resource: 'nodes', kind: 'Node' },
    ...core,
  },
  { kind: 'Endpoints', resource: 'endpoints', namespaced: true, hasStatus: false, aliases: ['ep'], shortNames: ['ep'], ...core },
  { kind: 'Event', resource: 'events', namespaced: true, hasStatus: false, aliases: ['event', 'ev'], shortNames: ['ev'], ...core },
  // Core kinds new since 2014 (issue #18): v1 only, under /api/v1.
  { kind: 'ResourceQuota', resource: 'resourcequotas', namespaced: true, hasStatus: true, aliases: ['resourcequota', 'quota'], shortNames: ['quota'], group: '', versions: ['v1'] },
  { kind: 'LimitRange', resource: 'limitranges', namespaced: true, hasStatus: false, aliases: ['limitrange', 'limits'], shortNames: ['limits'], group: '', versions: ['v1'] },
  // Namespaces as objects (issue #19): created, listed, and deleted with everything in them.
  { kind: 'Namespace', resource: 'namespaces', namespaced: false, hasStatus: true, aliases: ['namespace', 'ns'], shortNames: ['ns'], group: '', versions: ['v1'] },
  // Issue #22: configuration and secrets a pod mounts or reads into its environment.
  { kind: 'ConfigMap', resource: 'configmaps', namespaced: true, hasStatus: false, aliases: ['configmap', 'cm'], shortNames: ['cm'], group: '', versions: ['v1'] },
  { kind: 'Secret', resource: 'secrets', namespaced: true, hasStatus: false, aliases: ['secret'], shortNames: [], group: '', versions: ['v1'] },
];

export const DEFAULT_NAMESPACE = 'default';

const byResource = new Map(RESOURCES.map((r) => [r.resource, r]));
const byKind = new Map(RESOURCES.map((r) => [r.kind, r]));
const byAlias = new Map<string, ResourceInfo>();
for (const r of RESOURCES) {
  for (const name of [r.resource, r.resource.toLowerCase(), r.kind, r.kind.toLowerCase(), ...r.aliases]) byAlias.set(name, r);
}

export function resourceInfo(resource: string): ResourceInfo | undefined {
  return byResource.get(resource as ResourceName);
}

export function resourceForKind(kind: string): ResourceInfo | undefined {
  return byKind.get(kind);
}

/**
 * The resource and kind names a group version uses on the wire: the seed's in v1beta1
 * (`replicationControllers`, Minion), Kubernetes' lowercase ones elsewhere (`replicationcontrollers`,
 * and `nodes`/Node for minions in v1).
 */
export function wireNames(info: ResourceInfo, groupVersionName: string): { resource: string; kind: string } {
  if (groupVersionName === 'v1beta1') return { resource: info.resource, kind: info.kind };
  if (groupVersionName === 'v1' && info.v1Names) return info.v1Names;
  return { resource: info.resource.toLowerCase(), kind: info.kind };
}

/** Resolves what a user typed (`pods`, `po`, `rc`, `replicationControllers`, `Minion`) to a resource. */
export function resolveResource(nameOrAlias: string): ResourceInfo | undefined {
  return byAlias.get(nameOrAlias) ?? byAlias.get(nameOrAlias.toLowerCase());
}

/** `v1` for the core group, `apps/v1` for another: what apiVersion says and what the URL carries. */
export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** The URL prefix of a group version: `/api/v1beta1`, `/api/v1`, `/apis/apps/v1`. */
export function apiPathPrefix(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/** Whether a resource is served in a group version (`v1beta1`, `v1`, `apps/v1`). */
export function servedIn(info: ResourceInfo, groupVersionName: string): boolean {
  return info.versions.some((v) => groupVersion(info.group, v) === groupVersionName);
}

/** The newest version of the resource's group that serves it: what a client uses when it has no preference. */
export function preferredVersion(info: ResourceInfo): string {
  return info.versions[info.versions.length - 1]!;
}

/**
 * The URL prefix a client uses for a resource: a core kind under the client's version
 * (`/api/v1beta1`) when that version serves it, else (a core kind new since 2014, a named group's
 * kind) under its preferred version (`/api/v1`, `/apis/apps/v1`).
 */
export function resourcePathPrefix(resource: string, coreVersion: string): string {
  const info = resourceInfo(resource) ?? resolveResource(resource);
  if (!info || (!info.group && info.versions.includes(coreVersion))) return apiPathPrefix('', coreVersion);
  return apiPathPrefix(info.group, preferredVersion(info));
}
