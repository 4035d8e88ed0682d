// A registry on etcd, wired with the mirrors it needs: what every process (API server,
// reconcilers, kubelet, proxy) opens.
import { CachedStorage, createEtcdStorage, type EtcdStorageOptions, type WatchCacheOptions } from '@coxswain/store';
import { PortalAllocator } from './portal-allocator';
import { PortalRange } from './portal-range';
import { Registry, REGISTRY_MIRRORS, type RegistryOptions } from './registry';

export type OpenRegistryOptions = Omit<EtcdStorageOptions, 'mirrors' | 'ownsClient'> &
  Omit<RegistryOptions, 'portals'> & {
    /** The portal network new services take their portal IP from (the API server's --portal-net). */
    portalNet?: string;
    /** Serve lists and watches from a watch cache (the API server's; docs/watch-cache.md). */
    watchCache?: WatchCacheOptions;
  };

/** The API server's default --portal-net: inside the cluster's 172.30.0.0/16, beside the minions' 172.30.N.0/24 pod networks (N >= 1). */
export const DEFAULT_PORTAL_NET = '172.30.0.0/24';

/** A registry on etcd at `endpoints`, on its own client (closed with the registry). */
export function openRegistry(endpoints: string[], opts: OpenRegistryOptions = {}): Registry {
  // Parsed before connecting: a bad flag is an error at start-up, with nothing opened.
  const range = opts.portalNet !== undefined ? PortalRange.parse(opts.portalNet) : undefined;
  const etcd = createEtcdStorage(endpoints, { ...opts, mirrors: REGISTRY_MIRRORS });
  const storage = opts.watchCache ? new CachedStorage(etcd, opts.watchCache) : etcd;
  return new Registry(storage, { ...opts, portals: range && new PortalAllocator(storage, range) });
}
