export * from './types';
export * from './errors';
export * from './resources';
export * from './store-api';
export * from './logger';
export * from './backoff';
export { validateInternal } from './validation';
export { createEtcdClient, etcdClientOptions, type EtcdClientOptions } from './etcd-client';
export { startEtcd, type EtcdHarness, type EtcdHarnessOptions } from './testing/etcd-harness';
