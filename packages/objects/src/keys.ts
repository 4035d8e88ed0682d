// Where objects live in etcd. One function per key shape, so the layout is written down once.
//
//   /registry/<resource>/<namespace>/<name>      namespaced kinds (pods, services, ...)
//   /registry/<resource>/<name>                  cluster-scoped kinds (minions)
//   /registry/boundpods/<minion>/<namespace>/<pod>   a pod bound to a minion (what its kubelet watches)
//   /registry/leases/minions/<minion>            a kubelet's heartbeat, kept alive by an etcd lease
//
// DESIGN.md puts bound pods under /registry/minions/<minion>/pods/...; that prefix is inside the
// minions resource range, so every list/watch of minions would also read every binding. A sibling
// tree keeps a minion list small and still gives each kubelet one narrow prefix.
import { BadRequestError } from './errors';
import { DEFAULT_NAMESPACE, ResourceName, resourceInfo } from './resources';

export const REGISTRY_PREFIX = '/registry/';
export const BOUND_PODS = 'boundpods';

function checkSegment(what: string, value: string | undefined): string {
  if (!value) throw new BadRequestError(`${what} must not be empty`);
  if (value.includes('/')) throw new BadRequestError(`${what} "${value}" must not contain "/"`);
  return value;
}

function info(resource: ResourceName) {
  const i = resourceInfo(resource);
  if (!i) throw new BadRequestError(`unknown resource "${resource}"`);
  return i;
}

/** The namespace an object of this resource is stored in: undefined for cluster-scoped kinds. */
export function effectiveNamespace(resource: ResourceName, namespace: string | undefined): string | undefined {
  return info(resource).namespaced ? namespace || DEFAULT_NAMESPACE : undefined;
}

export function objectKey(resource: ResourceName, namespace: string | undefined, name: string): string {
  const ns = effectiveNamespace(resource, namespace);
  checkSegment('name', name);
  return ns === undefined
    ? `${REGISTRY_PREFIX}${resource}/${name}`
    : `${REGISTRY_PREFIX}${resource}/${checkSegment('namespace', ns)}/${name}`;
}

/** The prefix of all objects of a resource, or of one namespace of it. */
export function resourcePrefix(resource: ResourceName, namespace?: string): string {
  const i = info(resource);
  if (i.namespaced && namespace) return `${REGISTRY_PREFIX}${resource}/${checkSegment('namespace', namespace)}/`;
  return `${REGISTRY_PREFIX}${resource}/`;
}

export function boundPodKey(minion: string, namespace: string, pod: string): string {
  return `${boundPodsPrefix(minion)}${checkSegment('namespace', namespace)}/${checkSegment('pod name', pod)}`;
}

export function boundPodsPrefix(minion: string): string {
  return `${REGISTRY_PREFIX}${BOUND_PODS}/${checkSegment('minion name', minion)}/`;
}

/** Where kubelets keep their heartbeat leases; the minion lifecycle controller reads the range. */
export const MINION_LEASE_PREFIX = `${REGISTRY_PREFIX}leases/minions/`;

export function minionLeaseKey(minion: string): string {
  return `${MINION_LEASE_PREFIX}${checkSegment('minion name', minion)}`;
}

