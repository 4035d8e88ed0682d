export * from './etcd-harness';
export * from './eventually';
export * from './fake-clock';
export * from './recording-logger';
export * from './source-loader';
export * from './spawn-reconciler';
export * from './etcd-registry';
export * from './memory-registry';
export { ARTIFACTS_DIR, CHROMIUM, openBrowser, type Browser } from './browser';
