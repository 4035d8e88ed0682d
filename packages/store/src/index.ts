// @coxswain/store: kind-agnostic versioned storage (the Storage contract) and its etcd implementation.
// The only package that talks to etcd.
export type { Storage, Leases, Mirror, ObjectFilter, Preconditions, GuardedWrite, GuaranteedUpdateOptions, StorageCreateOptions, StorageWatchOptions } from './storage';
export { EtcdStorage, createEtcdStorage, type EtcdStorageOptions } from './etcd-storage';
export { createEtcdClient, type EtcdClientOptions } from './etcd-client';
