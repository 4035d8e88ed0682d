// @coxswain/coxswain: the `coxswain` binary's command line and the local-cluster launcher, for the
// end-to-end suites (they start `coxswain up` in-process and check the compose file's commands).
export { buildCli, parseCommandLine } from './main';
export { LocalCluster, minionLayout, defaultDataDir, stopRunningCluster } from './local-cluster';
export { ComponentStartError, waitForHttp } from './process-group';
export type { LocalClusterOptions, StartupReporter } from './local-cluster';
export { TRY_COMMANDS } from './startup-view';
export type { SupervisedProcess, ComponentSpec } from './supervisor';
