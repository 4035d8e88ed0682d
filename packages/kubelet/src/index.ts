// @coxswain/kubelet: the minion agent — runs the pods bound to its minion on a container runtime
// (Docker, or in memory for hollow minions) and heartbeats.
export { runKubelet, defaultPodCIDR, KUBELET_WATCH_PROGRESS_MS, type RunKubeletOptions, type RunningKubelet } from './run-kubelet';
export { Kubelet, type KubeletOptions } from './kubelet';
export { InvalidImageNameError, LABELS, type ContainerRuntime, type RuntimeContainer, type RuntimeEvent } from './runtime';
export { DockerRuntime, type DockerRuntimeOptions } from './docker-runtime';
export { dockerConnection, DEFAULT_DOCKER_ENDPOINT, type DockerTlsFiles } from './docker-endpoint';
export { MemoryRuntime, type MemoryRuntimeOptions, SYNTHETIC_USAGE, type SyntheticUsage } from './memory-runtime';
export { startLogServer, type LogServer } from './log-server';
export { StatsCollector, type Summary, type PodSummary, type ContainerSummary, type CpuStats, type MemoryStats } from './stats-collector';
