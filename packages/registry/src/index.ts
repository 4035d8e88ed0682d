// @coxswain/registry: kinds, keys and the rules of every write, on a kind-agnostic Storage.
export { Registry, REGISTRY_MIRRORS, type RegistryOptions } from './registry';
export { openRegistry, DEFAULT_PORTAL_NET, DEFAULT_CLUSTER_CIDR, type OpenRegistryOptions } from './open-registry';
export { bindPod } from './bind-pod';
export { MinionLease, listLiveMinionLeases, type LiveLease } from './minion-lease';
export { PortalAllocator, PORTAL_ALLOCATION_KEY, PORTAL_FIELD } from './portal-allocator';
export { PortalRange } from './portal-range';
export { PodCidrAllocator, POD_CIDR_ALLOCATION_KEY } from './pod-cidr-allocator';
export { PodCidrRange } from './pod-cidr-range';
export { RangeAllocator, type RangeSnapshot, type SlotRange } from './range-allocator';
export { measuredStatus, quotaAmount } from './quota';
export { deleteNamespace, isTerminating, namespaceIsEmpty, SYSTEM_NAMESPACES, type Namespace } from './namespace-lifecycle';
