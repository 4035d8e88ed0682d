// A registry on etcd, wired with the mirrors it needs: what every process (API server,
// reconcilers, kubelet, proxy) opens.
import { PodCidrAllocator } from './pod-cidr-allocator';
import { PodCidrRange } from './pod-cidr-range';
import { resourcePrefix, type ResourceName } from '@coxswain/objects';
import { CachedStorage, createEtcdStorage, EncryptionConfigError, readEncryptionConfig, type EtcdStorageOptions, type PrefixTransformer, type WatchCacheOptions } from '@coxswain/store';
import { PortalAllocator } from './portal-allocator';
import { PortalRange } from './portal-range';
import { Registry, REGISTRY_MIRRORS, type RegistryOptions } from './registry';

export type OpenRegistryOptions = Omit<EtcdStorageOptions, 'mirrors' | 'ownsClient' | 'transformers'> &
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
    /**
     * kube-apiserver's --encryption-provider-config: how Secrets are encrypted at rest. Every process
     * that reads Secrets from etcd (API server, kubelets, replication manager) needs the same file.
     */
    encryptionProviderConfig?: string;
    /** Serve lists and watches from a watch cache (the API server's; docs/watch-cache.md). */
    watchCache?: WatchCacheOptions;
  };

/** The API server's default --portal-net: slot 0 of the cluster CIDR, beside the minions' 172.30.N.0/24 pod networks (N >= 1). */
export const DEFAULT_PORTAL_NET = '172.30.0.0/24';

/** The API server's default --cluster-cidr: minions' pod subnets, a /24 each, around the portal network. */
export const DEFAULT_CLUSTER_CIDR = '172.30.0.0/16';
/**
 * Kept out of the API server's watch cache, as Kubernetes keeps Events out of its own: many, short-lived
 * and rarely listed, they would be most of its memory (decisions.md).
 */
const UNCACHED = [resourcePrefix('events')];

/** The kinds whose values may be encrypted at rest: Secrets only, as the issue asks (ConfigMaps are not secret). */
const ENCRYPTABLE: readonly ResourceName[] = ['secrets'];

/** A registry on etcd at `endpoints`, on its own client (closed with the registry). */
export function openRegistry(endpoints: string[], opts: OpenRegistryOptions = {}): Registry {
  // Parsed before connecting: a bad flag is an error at start-up, with nothing opened.
  const portalRange = opts.portalNet !== undefined ? PortalRange.parse(opts.portalNet) : undefined;
  const podRange = opts.clusterCidr !== undefined ? PodCidrRange.of(opts.clusterCidr, opts.nodeCidrMaskSize, opts.portalNet ? [opts.portalNet] : []) : undefined;
  const transformers = opts.encryptionProviderConfig === undefined ? undefined : encryptionTransformers(opts.encryptionProviderConfig);
  const etcd = createEtcdStorage(endpoints, { ...opts, mirrors: REGISTRY_MIRRORS, transformers });
  const storage = opts.watchCache ? new CachedStorage(etcd, { uncached: UNCACHED, ...opts.watchCache }) : etcd;
  return new Registry(storage, {
    ...opts,
    portals: portalRange && new PortalAllocator(storage, portalRange),
    podCidrs: new PodCidrAllocator(storage, podRange),
  });
}

/** The config file's chains, on the etcd prefixes of the resources they name. */
function encryptionTransformers(file: string): PrefixTransformer[] {
  return [...readEncryptionConfig(file)].map(([resource, transformer]) => {
    if (!ENCRYPTABLE.includes(resource as ResourceName)) {
      throw new EncryptionConfigError(`${file}: resources: "${resource}" cannot be encrypted at rest (only ${ENCRYPTABLE.join(', ')})`);
    }
    return { prefix: resourcePrefix(resource as ResourceName), transformer };
  });
}
