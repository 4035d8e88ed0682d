// A registry over an etcd client that a test holds (the harness's), as every component opens one.
import { Registry, REGISTRY_MIRRORS, type RegistryOptions } from '@coxswain/registry';
import { EtcdStorage, type EtcdStorageOptions } from '@coxswain/store';
import { startEtcd, type EtcdHarness } from './etcd-harness';

export type EtcdRegistryOptions = Omit<EtcdStorageOptions, 'mirrors'> & RegistryOptions;

export function etcdRegistry(client: ConstructorParameters<typeof EtcdStorage>[0], opts: EtcdRegistryOptions = {}): Registry {
  return new Registry(new EtcdStorage(client, { ...opts, mirrors: REGISTRY_MIRRORS }), opts);
}

/** An etcd of the test's own and a registry on it; `stop` closes both. */
async function startEtcdRegistry(opts: EtcdRegistryOptions = {}): Promise<{ etcd: EtcdHarness; store: Registry; stop: () => Promise<void> }> {
  const etcd = await startEtcd();
  const store = etcdRegistry(etcd.client(), opts);
  return {
    etcd,
    store,
    stop: async () => {
      await store.close();
      await etcd.stop();
    },
  };
}

/**
 * An etcd and a registry for one test file: started in its beforeAll, stopped in its afterAll.
 * Read `.store` inside hooks and tests (it exists once the beforeAll ran).
 */
export function etcdRegistryForSuite(opts: EtcdRegistryOptions = {}): { readonly store: Registry } {
  let harness: Awaited<ReturnType<typeof startEtcdRegistry>> | undefined;
  beforeAll(async () => {
    harness = await startEtcdRegistry(opts);
  });
  afterAll(() => harness?.stop());
  return {
    get store(): Registry {
      if (!harness) throw new Error('etcdRegistryForSuite: the store exists once beforeAll has run');
      return harness.store;
    },
  };
}
