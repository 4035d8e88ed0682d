export * from './load-balancer';
export * from './service-stats';
export * from './buffer-relay';
export * from './service-listener';
export * from './udp-service-listener';
export * from './proxy';
export * from './metrics-text';
export * from './run-proxy';
