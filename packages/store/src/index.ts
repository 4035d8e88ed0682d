export * from './types';
export * from './errors';
export * from './resources';
export * from './store-api';
export * from './logger';
export * from './backoff';
export { validateInternal } from './validation';
