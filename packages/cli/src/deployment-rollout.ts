// `kubecfg rollout status|history|undo|pause|resume deployment/NAME`: the client side of Deployments.
// The rollout itself runs in the cluster (the deployment controller); these verbs read its status
// and revisions (the RCs' `deployment.kubernetes.io/revision` annotations), or write the deployment's
// spec (undo copies an old revision's template back, as kubectl does; pause/resume set spec.paused).
import { CliError } from './cli-error';
import { CommandContext, print } from './command-context';
import { arr, field, formatLabels, JsonObject, num, str } from '@coxswain/objects';
import { formatTable, KUBECTL_TABLE } from './tab-writer';

const REVISION = 'deployment.kubernetes.io/revision';
const CHANGE_CAUSE = 'kubernetes.io/change-cause';
const HASH_LABEL = 'pod-template-hash';

export interface DeploymentRolloutState {
  done: boolean;
  /** Set when the controller gave up: Progressing=False ProgressDeadlineExceeded's message. */
  failed?: string;
  line: string;
}

/** Where the rollout stands; while it waits, a ReplicaFailure (e.g. a quota refusing pods) is named on the line. */
export function deploymentRolloutState(d: JsonObject): DeploymentRolloutState {
  const state = progressState(d);
  const failure = arr(d, 'status.conditions').find((c) => str(c, 'type') === 'ReplicaFailure' && str(c, 'status') === 'True');
  if (!failure || state.done || state.failed !== undefined) return state;
  return { ...state, line: `${state.line} (ReplicaFailure ${str(failure, 'reason')}: ${str(failure, 'message')})` };
}

function progressState(d: JsonObject): DeploymentRolloutState {
  const name = str(d, 'metadata.name');
  const want = num(d, 'spec.replicas') ?? 0;
  const updated = num(d, 'status.updatedReplicas') ?? 0;
  const available = num(d, 'status.availableReplicas') ?? 0;
  const total = num(d, 'status.replicas') ?? 0;
  const progressing = arr(d, 'status.conditions').find((c) => str(c, 'type') === 'Progressing');
  if ((num(d, 'status.observedGeneration') ?? 0) < (num(d, 'metadata.generation') ?? 0)) {
    return { done: false, line: `Waiting for deployment "${name}" spec update to be observed...` };
  }
  if (str(progressing, 'reason') === 'ProgressDeadlineExceeded') {
    return { done: false, failed: str(progressing, 'message'), line: '' };
  }
  if (field(d, 'spec.paused') === true) return { done: false, line: `Deployment "${name}" is paused: resume it to continue (${updated} of ${want} updated)` };
  if (updated < want) return { done: false, line: `Waiting for deployment "${name}" rollout to finish: ${updated} of ${want} updated replicas are available...` };
  if (total > updated) return { done: false, line: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...` };
  if (available < updated) return { done: false, line: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...` };
  return { done: str(progressing, 'reason') === 'NewReplicationControllerAvailable', line: `Waiting for deployment "${name}" rollout to finish: the controller has not marked it complete yet...` };
}

export interface DeploymentWaitOptions {
  timeoutMs: number;
  pollMs?: number;
}

/** Follows the rollout: a line each time it moves; ends on done, on ProgressDeadlineExceeded (an error with the reason) or on the timeout. */
export async function waitForDeployment(ctx: CommandContext, name: string, opts: DeploymentWaitOptions): Promise<void> {
  const deadline = ctx.clock.now() + opts.timeoutMs;
  let last = '';
  for (;;) {
    const d = await ctx.client.get('v1', 'deployments', name);
    const state = deploymentRolloutState(d);
    if (state.done) break;
    if (state.failed !== undefined) throw new CliError(`error: deployment "${name}" exceeded its progress deadline: ${state.failed}`);
    if (state.line !== last) print(ctx, state.line);
    last = state.line;
    if (ctx.clock.now() >= deadline || ctx.io.signal?.aborted) throw new CliError(`error: timed out waiting for deployment "${name}": ${state.line}`);
    await ctx.clock.sleep(opts.pollMs ?? 200, ctx.io.signal);
  }
  print(ctx, `deployment "${name}" successfully rolled out`);
}

/** The deployment's RCs (owned by its uid), oldest revision first. */
export async function revisionsOf(ctx: CommandContext, d: JsonObject): Promise<JsonObject[]> {
  const uid = str(d, 'metadata.uid');
  const rcs = (await ctx.client.list('v1', 'replicationControllers', { labelSelector: formatLabels(field(d, 'spec.selector.matchLabels')) })).items;
  return rcs
    .filter((rc) => arr(rc, 'metadata.ownerReferences').some((r) => str(r, 'uid') === uid))
    .sort((a, b) => revision(a) - revision(b));
}

function revision(rc: JsonObject): number {
  return Number((field(rc, 'metadata.annotations') as Record<string, string> | undefined)?.[REVISION] ?? 0);
}

function changeCause(rc: JsonObject): string {
  return (field(rc, 'metadata.annotations') as Record<string, string> | undefined)?.[CHANGE_CAUSE] ?? '<none>';
}

export async function rolloutHistory(ctx: CommandContext, name: string): Promise<void> {
  const d = await ctx.client.get('v1', 'deployments', name);
  const rows = (await revisionsOf(ctx, d)).map((rc) => [String(revision(rc)), changeCause(rc)]);
  print(ctx, `deployment.apps/${name}\n${formatTable([['REVISION', 'CHANGE-CAUSE'], ...rows], KUBECTL_TABLE).trimEnd()}`);
}

/** Puts an earlier revision's template back (the previous one, or --to-revision N); the controller rolls to it. */
export async function rolloutUndo(ctx: CommandContext, name: string, toRevision?: number): Promise<void> {
  const d = await ctx.client.get('v1', 'deployments', name);
  const rcs = await revisionsOf(ctx, d);
  if (toRevision !== undefined && (!Number.isInteger(toRevision) || toRevision < 0)) {
    throw new CliError(`error: --to-revision: ${toRevision} is not a revision number`);
  }
  const target = toRevision ? rcs.find((rc) => revision(rc) === toRevision) : rcs[rcs.length - 2];
  if (!target) {
    throw new CliError(toRevision ? `error: deployment "${name}" has no revision ${toRevision}` : `error: deployment "${name}" has no previous revision to roll back to`);
  }
  const template = structuredClone(field(target, 'spec.template')) as JsonObject;
  const labels = (field(template, 'metadata.labels') ?? {}) as Record<string, string>;
  delete labels[HASH_LABEL];
  const spec = { ...(d.spec as JsonObject), template };
  const annotations = { ...((field(d, 'metadata.annotations') as Record<string, string> | undefined) ?? {}) };
  delete annotations[CHANGE_CAUSE];
  const targetCause = (field(target, 'metadata.annotations') as Record<string, string> | undefined)?.[CHANGE_CAUSE];
  if (targetCause) annotations[CHANGE_CAUSE] = targetCause;
  await ctx.client.update('v1', 'deployments', name, { ...d, metadata: { ...(d.metadata as JsonObject), annotations }, spec });
  print(ctx, `deployment.apps/${name} rolled back to revision ${revision(target)}`);
}

export async function setPaused(ctx: CommandContext, name: string, paused: boolean): Promise<void> {
  await ctx.client.patch('v1', 'deployments', name, { spec: { paused } });
  print(ctx, `deployment.apps/${name} ${paused ? 'paused' : 'resumed'}`);
}
