export * from './types';
export * from './errors';
export * from './resources';
export * from "./store-api";
