// Discovery, as kubectl and client libraries read it before any other request: /api (the core
// group's versions), /api/<version> and /apis/<group>/<version> (APIResourceList: names, kinds,
// verbs, short names, subresources), /apis (APIGroupList) and /apis/<group> (APIGroup). Built from
// the resource table, so a kind added there is discovered without more code. Only the legacy
// (unaggregated) form is served: kubectl asks for the aggregated one first and falls back to this
// when the answer is plain JSON.
import { RESOURCES, servedIn, wireNames } from '@coxswain/objects';
import type { ResourceInfo } from '@coxswain/objects';
import { hasScale } from './scale';

export interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  group?: string;
  version?: string;
}

export interface GroupVersionInfo {
  groupVersion: string;
  version: string;
}

export interface APIGroup {
  name: string;
  versions: GroupVersionInfo[];
  preferredVersion: GroupVersionInfo;
}

const OBJECT_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** Subresources a resource has beyond status and scale: the pod's log and its streams, as Kubernetes lists them. */
const EXTRA_SUBRESOURCES: Record<string, Array<{ name: string; verbs: string[] }>> = {
  pods: [{ name: 'log', verbs: ['get'] }, ...['attach', 'exec', 'portforward'].map((name) => ({ name, verbs: ['create', 'get'] }))],
};

function resourcesOf(info: ResourceInfo, gv: string): APIResource[] {
  const { resource, kind } = wireNames(info, gv);
  const main: APIResource = { name: resource, singularName: kind.toLowerCase(), namespaced: info.namespaced, kind, verbs: OBJECT_VERBS };
  // v1beta1 keeps the seed's names and has no short names of its own: kubectl reads v1.
  if (gv !== 'v1beta1') {
    main.shortNames = info.shortNames;
    if (info.categories) main.categories = info.categories;
  }
  const sub = (name: string, verbs: string[], extra: Partial<APIResource> = {}): APIResource => ({
    name: `${resource}/${name}`,
    singularName: '',
    namespaced: info.namespaced,
    kind,
    verbs,
    ...extra,
  });
  const out = [main];
  if (info.hasStatus) out.push(sub('status', ['get', 'patch', 'update']));
  if (hasScale(info.resource, gv)) out.push(sub('scale', ['get', 'patch', 'update'], { group: 'autoscaling', version: 'v1', kind: 'Scale' }));
  if (gv !== 'v1beta1') for (const s of EXTRA_SUBRESOURCES[info.resource] ?? []) out.push(sub(s.name, s.verbs));
  return out;
}

/** The APIResourceList of a group version (`v1`, `apps/v1`); undefined when nothing is served there. */
export function apiResourceList(gv: string): { kind: 'APIResourceList'; apiVersion: 'v1'; groupVersion: string; resources: APIResource[] } | undefined {
  const served = RESOURCES.filter((r) => servedIn(r, gv));
  if (served.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: served.flatMap((r) => resourcesOf(r, gv)) };
}

/**
 * The core group's versions in /api: only v1. client-go (kubectl) reads the core group's resources
 * from /api/v1 and from /apis/<version> for any other core version, so listing the seed's v1beta1
 * here makes every kubectl command fail on /apis/v1beta1. v1beta1 stays served for 2014 clients,
 * and its resource list at /api/v1beta1, but is not announced.
 */
export function coreVersions(served: readonly string[]): string[] {
  return served.filter((v) => v === 'v1');
}

/** The named groups served (from the wire versions, plus extra group versions such as metrics.k8s.io/v1beta1). */
export function apiGroups(served: readonly string[]): APIGroup[] {
  const named = served.filter((v) => v.includes('/'));
  const names = [...new Set(named.map((v) => v.split('/')[0]!))];
  return names.map((name) => {
    // Oldest first in the resource table; the preferred (newest) first here, as Kubernetes lists them.
    const versions = named
      .filter((v) => v.startsWith(name + '/'))
      .map((gv) => ({ groupVersion: gv, version: gv.slice(name.length + 1) }))
      .reverse();
    return { name, versions, preferredVersion: versions[0]! };
  });
}

/** The APIResourceList of a group version served outside the resource table (metrics, endpoint slices). */
export function staticResourceList(groupVersion: string, resources: APIResource[]): { kind: 'APIResourceList'; apiVersion: 'v1'; groupVersion: string; resources: APIResource[] } {
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}
