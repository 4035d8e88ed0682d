export * from './flags';
export * from './health-server';
export * from './logger';
export * from './process-signals';
