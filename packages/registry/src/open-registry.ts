// A registry on etcd, wired with the mirrors it needs: what every process (API server,
// reconcilers, kubelet, proxy) opens.
import { createEtcdStorage, type EtcdStorageOptions } from '@coxswain/store';
import { Registry, REGISTRY_MIRRORS, type RegistryOptions } from './registry';

export type OpenRegistryOptions = Omit<EtcdStorageOptions, 'mirrors' | 'ownsClient'> & RegistryOptions;

/** A registry on etcd at `endpoints`, on its own client (closed with the registry). */
export function openRegistry(endpoints: string[], opts: OpenRegistryOptions = {}): Registry {
  return new Registry(createEtcdStorage(endpoints, { ...opts, mirrors: REGISTRY_MIRRORS }), opts);
}
