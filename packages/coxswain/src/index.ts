// @coxswain/coxswain: the `coxswain` binary's command line and the local-cluster launcher, for the
// end-to-end suites (they start `coxswain up` in-process and check the compose file's commands).
export { parseCommandLine } from './main';
export { LocalCluster, minionLayout, defaultDataDir, stopRunningCluster, waitForHttp } from './local-cluster';
export type { LocalClusterOptions } from './local-cluster';
export type { SupervisedProcess, ComponentSpec } from './supervisor';
