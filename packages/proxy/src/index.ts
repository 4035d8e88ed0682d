export * from './load-balancer';
export * from './service-stats';
export * from './service-listener';
