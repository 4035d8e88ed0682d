// A registry on MemoryStorage: what unit tests of anything that writes objects run on (no etcd).
import type { Clock } from '@coxswain/objects';
import { Registry, REGISTRY_MIRRORS, type RegistryOptions } from '@coxswain/registry';
import { MemoryStorage, type MemoryStorageOptions } from '@coxswain/store';

export function memoryRegistry(opts: RegistryOptions & Omit<MemoryStorageOptions, 'mirrors' | 'clock'> & { clock?: Clock } = {}): Registry {
  return new Registry(new MemoryStorage({ ...opts, mirrors: REGISTRY_MIRRORS }), opts);
}
