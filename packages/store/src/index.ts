







export { createEtcdClient, etcdClientOptions, type EtcdClientOptions } from './etcd-client';














export { EtcdStore, createStore, translateError, type EtcdStoreOptions } from './store';
export { EtcdWatch } from './etcd-watch';




export * from './storage';
