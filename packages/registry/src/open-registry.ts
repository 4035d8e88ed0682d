// A registry on etcd, wired with the mirrors it needs: what every process (API server,
// reconcilers, kubelet, proxy) opens.
import { createEtcdStorage, type EtcdStorageOptions } from '@coxswain/store';
import { PodCidrAllocator } from './pod-cidr-allocator';
import { PodCidrRange } from './pod-cidr-range';
import { PortalAllocator } from './portal-allocator';
import { PortalRange } from './portal-range';
import { Registry, REGISTRY_MIRRORS, type RegistryOptions } from './registry';

export type OpenRegistryOptions = Omit<EtcdStorageOptions, 'mirrors' | 'ownsClient'> &
  Omit<RegistryOptions, 'portals' | 'podCidrs'> & {
    /** The portal network new services take their portal IP from (the API server's --portal-net). */
    portalNet?: string;
    /**
     * The block minions' pod subnets come from (the API server's --cluster-cidr). Without it, the
     * block the API server stored is used, if any.
     */
    clusterCidr?: string;
    /** The size of each minion's pod subnet (--node-cidr-mask-size, default 24). */
    nodeCidrMaskSize?: number;
  };

/** The API server's default --portal-net: slot 0 of the cluster CIDR, beside the minions' 172.30.N.0/24 pod networks (N >= 1). */
export const DEFAULT_PORTAL_NET = '172.30.0.0/24';

/** The API server's default --cluster-cidr: minions' pod subnets, a /24 each, around the portal network. */
export const DEFAULT_CLUSTER_CIDR = '172.30.0.0/16';

/** A registry on etcd at `endpoints`, on its own client (closed with the registry). */
export function openRegistry(endpoints: string[], opts: OpenRegistryOptions = {}): Registry {
  // Parsed before connecting: a bad flag is an error at start-up, with nothing opened.
  const portalRange = opts.portalNet !== undefined ? PortalRange.parse(opts.portalNet) : undefined;
  const podRange = opts.clusterCidr !== undefined ? PodCidrRange.of(opts.clusterCidr, opts.nodeCidrMaskSize, opts.portalNet ? [opts.portalNet] : []) : undefined;
  const storage = createEtcdStorage(endpoints, { ...opts, mirrors: REGISTRY_MIRRORS });
  return new Registry(storage, {
    ...opts,
    portals: portalRange && new PortalAllocator(storage, portalRange),
    podCidrs: new PodCidrAllocator(storage, podRange),
  });
}
