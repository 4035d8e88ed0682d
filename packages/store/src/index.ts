// @coxswain/store: kind-agnostic versioned storage on etcd (EtcdStorage keeps the Storage contract of
// @coxswain/objects).
// The only package that talks to etcd.
export { EtcdStorage, createEtcdStorage, type EtcdStorageOptions } from './etcd-storage';
export { createEtcdClient, type EtcdClientOptions } from './etcd-client';
export { etcdMembers, addEtcdMember, removeEtcdMember, type EtcdMember } from './etcd-members';
export { prefixRangeEnd } from './key-range';
export { readEncryptionConfig, parseEncryptionConfig, newEncryptionConfig, EncryptionConfigError, type EncryptionConfig } from './encryption-config';
export type { ValueTransformer } from './value-transformers';
export type { PrefixTransformer } from './storage-codec';
export { MemoryStorage, type MemoryStorageOptions } from './memory-storage';
export { CachedStorage, type WatchCacheOptions } from './cached-storage';
