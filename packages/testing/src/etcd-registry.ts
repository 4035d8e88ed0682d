// A registry over an etcd client that a test holds (the harness's), as every component opens one.
import { Registry, REGISTRY_MIRRORS, type RegistryOptions } from '@coxswain/registry';
import { EtcdStorage, type EtcdStorageOptions } from '@coxswain/store';
import type { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdHarness } from './etcd-harness';

export type EtcdRegistryOptions = Omit<EtcdStorageOptions, 'mirrors'> & RegistryOptions;

export function etcdRegistry(client: ConstructorParameters<typeof EtcdStorage>[0], opts: EtcdRegistryOptions = {}): Registry {
  return new Registry(new EtcdStorage(client, { ...opts, mirrors: REGISTRY_MIRRORS }), opts);
}

/** An etcd of the test's own and a registry on it (over `client`); `stop` closes both. */
async function startEtcdRegistry(opts: EtcdRegistryOptions = {}): Promise<EtcdRegistrySuite & { stop: () => Promise<void> }> {
  const etcd = await startEtcd();
  const client = etcd.client();
  const store = etcdRegistry(client, opts);
  return {
    etcd,
    client,
    store,
    stop: async () => {
      await store.close();
      await etcd.stop();
    },
  };
}

/** What etcdRegistryForSuite gives a test file. */
export interface EtcdRegistrySuite {
  /** The suite's etcd: to kill, restart or compact it. */
  readonly etcd: EtcdHarness;
  /** The etcd client the registry runs on: for raw reads and writes beside it. */
  readonly client: Etcd3;
  readonly store: Registry;
}

/**
 * An etcd and a registry for one test file: started in its beforeAll, stopped in its afterAll.
 * Read its fields inside hooks and tests (they exist once the beforeAll ran).
 */
export function etcdRegistryForSuite(opts: EtcdRegistryOptions = {}): EtcdRegistrySuite {
  let harness: Awaited<ReturnType<typeof startEtcdRegistry>> | undefined;
  beforeAll(async () => {
    harness = await startEtcdRegistry(opts);
  });
  afterAll(() => harness?.stop());
  const started = (): EtcdRegistrySuite => {
    if (!harness) throw new Error('etcdRegistryForSuite: the etcd and registry exist once beforeAll has run');
    return harness;
  };
  return {
    get etcd() {
      return started().etcd;
    },
    get client() {
      return started().client;
    },
    get store() {
      return started().store;
    },
  };
}
