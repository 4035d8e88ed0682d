// A registry on etcd, wired with the mirrors it needs: what every process (API server,
// reconcilers, kubelet, proxy) opens.
import { resourcePrefix, type ResourceName } from '@coxswain/objects';
import { createEtcdStorage, EncryptionConfigError, readEncryptionConfig, type EtcdStorageOptions, type PrefixTransformer } from '@coxswain/store';
import { PortalAllocator } from './portal-allocator';
import { PortalRange } from './portal-range';
import { Registry, REGISTRY_MIRRORS, type RegistryOptions } from './registry';

export type OpenRegistryOptions = Omit<EtcdStorageOptions, 'mirrors' | 'ownsClient' | 'transformers'> &
  Omit<RegistryOptions, 'portals'> & {
    /** The portal network new services take their portal IP from (the API server's --portal-net). */
    portalNet?: string;
    /**
     * kube-apiserver's --encryption-provider-config: how Secrets are encrypted at rest. Every process
     * that reads Secrets from etcd (API server, kubelets, replication manager) needs the same file.
     */
    encryptionProviderConfig?: string;
  };

/** The API server's default --portal-net: inside the cluster's 172.30.0.0/16, beside the minions' 172.30.N.0/24 pod networks (N >= 1). */
export const DEFAULT_PORTAL_NET = '172.30.0.0/24';

/** The kinds whose values may be encrypted at rest: Secrets only, as the issue asks (ConfigMaps are not secret). */
const ENCRYPTABLE: readonly ResourceName[] = ['secrets'];

/** A registry on etcd at `endpoints`, on its own client (closed with the registry). */
export function openRegistry(endpoints: string[], opts: OpenRegistryOptions = {}): Registry {
  // Parsed before connecting: a bad flag is an error at start-up, with nothing opened.
  const range = opts.portalNet !== undefined ? PortalRange.parse(opts.portalNet) : undefined;
  const transformers = opts.encryptionProviderConfig === undefined ? undefined : encryptionTransformers(opts.encryptionProviderConfig);
  const storage = createEtcdStorage(endpoints, { ...opts, mirrors: REGISTRY_MIRRORS, transformers });
  return new Registry(storage, { ...opts, portals: range && new PortalAllocator(storage, range) });
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
