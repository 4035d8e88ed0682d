// The kinds the store knows: their REST resource name, whether they live in a namespace, and where
// they sit in etcd. One table, so that the API, the CLI and the store agree on names.

export type ResourceName = 'pods' | 'replicationControllers' | 'services' | 'minions' | 'endpoints' | 'events';

export interface ResourceInfo {
  kind: string;
  resource: ResourceName;
  namespaced: boolean;
  /** Whether the kind has a status written separately from its spec (PUT keeps status, status writes keep spec). */
  hasStatus: boolean;
  /** Short names and aliases accepted by the CLI (`rc`, `po`, `svc`, ...). */
  aliases: string[];
}

export const RESOURCES: readonly ResourceInfo[] = [
  { kind: 'Pod', resource: 'pods', namespaced: true, hasStatus: true, aliases: ['pod', 'po'] },
  {
    kind: 'ReplicationController',
    resource: 'replicationControllers',
    namespaced: true,
    hasStatus: true,
    aliases: ['replicationcontroller', 'replicationcontrollers', 'rc', 'controller', 'controllers'],
  },
  { kind: 'Service', resource: 'services', namespaced: true, hasStatus: false, aliases: ['service', 'svc'] },
  { kind: 'Minion', resource: 'minions', namespaced: false, hasStatus: true, aliases: ['minion', 'node', 'nodes', 'no'] },
  { kind: 'Endpoints', resource: 'endpoints', namespaced: true, hasStatus: false, aliases: ['ep'] },
  { kind: 'Event', resource: 'events', namespaced: true, hasStatus: false, aliases: ['event', 'ev'] },
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

/** Resolves what a user typed (`pods`, `po`, `rc`, `replicationControllers`, `Minion`) to a resource. */
export function resolveResource(nameOrAlias: string): ResourceInfo | undefined {
  return byAlias.get(nameOrAlias) ?? byAlias.get(nameOrAlias.toLowerCase());
}
