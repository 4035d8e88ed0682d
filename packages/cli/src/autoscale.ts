// `kubecfg autoscale rc NAME --max M [--min N] [--cpu-percent P]` (kubectl's autoscale): creates a
// HorizontalPodAutoscaler named after its target. The bounds are the server's to check (a min above
// max, a target of 0: 422 naming the field); here only what is missing from the command line.
import { CliError } from './cli-error';
import { print, type CommandContext } from './command-context';
import { objectRef } from './object-printer';
import { splitKindName } from './resource-kind';

const TARGET_KINDS: Record<string, 'ReplicationController' | 'Deployment'> = { replicationControllers: 'ReplicationController', deployments: 'Deployment' };

export async function autoscale(ctx: CommandContext, kind: string, name: string | undefined, opts: { min?: number; max?: number; cpuPercent?: number }): Promise<void> {
  const split = splitKindName(kind);
  const target = split.name ?? name;
  const targetKind = TARGET_KINDS[split.info.resource];
  if (!targetKind) throw new CliError(`error: cannot autoscale ${split.info.resource}; replicationControllers (rc) and deployments scale`);
  if (!target) throw new CliError('error: autoscale needs a target: kubecfg autoscale rc NAME --max N [--min N] [--cpu-percent P]');
  if (opts.max === undefined) throw new CliError('error: --max is required: the most replicas the autoscaler may set');
  await ctx.client.create('v1', 'horizontalpodautoscalers', {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: target },
    spec: {
      scaleTargetRef: { apiVersion: targetKind === 'Deployment' ? 'apps/v1' : 'v1', kind: targetKind, name: target },
      ...(opts.min !== undefined ? { minReplicas: opts.min } : {}),
      maxReplicas: opts.max,
      ...(opts.cpuPercent !== undefined ? { targetCPUUtilizationPercentage: opts.cpuPercent } : {}),
    },
  });
  print(ctx, `${objectRef('HorizontalPodAutoscaler', target)} autoscaled`);
}
