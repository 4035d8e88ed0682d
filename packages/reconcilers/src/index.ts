export { runScheduler, runReplicationManager, runEndpointsController, runDeploymentController, runMinionController } from './reconcilers';
export type { SchedulerProcessOptions, ReplicationProcessOptions, MinionControllerProcessOptions } from './reconcilers';
export { runReconcilerProcess, type ReconcilerHandle, type ReconcilerProcessOptions, type EndReason } from './reconciler-process';

export { Scheduler } from './scheduler';
export { ReplicationManager } from './replication-manager';
export { EndpointsController } from './endpoints-controller';
export { DeploymentController } from './deployment-controller';
export { MinionLifecycleController } from './minion-lifecycle-controller';
export type { PackingPolicy } from './priorities';
export { PortalRepair, PodCidrRepair, type RangeRepairOptions, type RepairPass } from './range-repair';
export { QuotaRepair, type QuotaRepairOptions } from './quota-repair';
export { NamespaceController, type NamespaceControllerOptions } from './namespace-controller';
