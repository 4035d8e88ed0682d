export * from './bind-pod';
export * from './strategy';
