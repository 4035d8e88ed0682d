export * from './types';
export * from './errors';
export * from './resources';
export * from './store-api';
export * from './logger';
export * from './backoff';
export {
  validateInternal, validateSchema, schemasDir, type SchemaVersion, joinPath, pointerToPath,
  objectNameProblem, namespaceProblem, labelKeyProblem, labelValueProblem, portNameProblem, portNumberProblem,
} from './validation';
export { createEtcdClient, etcdClientOptions, type EtcdClientOptions } from './etcd-client';
export { startEtcd, type EtcdHarness, type EtcdHarnessOptions } from './testing/etcd-harness';
export { eventually } from './testing/eventually';
export * from './keys';
export { encodeObject, decodeObject } from './codec';
export * from './selector';
export * from './quantity';
export * from './work-queue';
export * from './rate-limiter';
export { FakeClock, settle } from './testing/fake-clock';
export { EventRecorder, referenceTo, eventName, type EventRecorderOptions, type EventType, type Involved } from './event-recorder';
export * from './informer';
export * from './leader-election';
export * from './health-server';
export * from './process-signals';
export { EtcdStore, createStore, translateError, type EtcdStoreOptions } from './store';
export { EtcdWatch } from './etcd-watch';
export { deepEqual } from './deep-equal';
export { runStoreBench, storeBench, STORE_RATIO_GOAL, type StoreBenchOptions, type StoreBenchResult } from './bench/store-bench';
export { GroupCommit, type GroupCommitOptions } from './group-commit';
