export * from './runtime';
export { DockerRuntime, type DockerRuntimeOptions } from './docker-runtime';
export { MemoryRuntime, type MemoryRuntimeOptions, type MemoryContainer, type ContainerBehavior } from './memory-runtime';
export { gatewayOf, hostAddress, parseCidr } from './cidr';
