// A registry over an etcd client that a test holds (the harness's), as every component opens one.
import { Registry, REGISTRY_MIRRORS, type RegistryOptions } from '@coxswain/registry';
import { EtcdStorage, type EtcdStorageOptions } from '@coxswain/store';

export type EtcdRegistryOptions = Omit<EtcdStorageOptions, 'mirrors'> & RegistryOptions;

export function etcdRegistry(client: ConstructorParameters<typeof EtcdStorage>[0], opts: EtcdRegistryOptions = {}): Registry {
  return new Registry(new EtcdStorage(client, { ...opts, mirrors: REGISTRY_MIRRORS }), opts);
}
