// "I made a change — is it done?": waits until a controller's observedGeneration has caught up with
// its generation and every replica is Running and Ready (or a pod is), showing progress as a bar on
// a terminal and as plain lines otherwise. On timeout it fails with the latest reasons the cluster
// gave (FailedScheduling, ErrImagePull, CrashLoopBackOff, ...).
import { SingleBar } from 'cli-progress';
import { CliError } from './cli-error';
import { CommandContext, print } from './command-context';
import { arr, field, formatLabels, JsonObject, num, str } from '@coxswain/objects';
import { podStatusReason } from '@coxswain/objects';
import { objectRef } from './object-printer';

export interface RolloutState {
  desired: number;
  current: number;
  ready: number;
  observed: boolean;
  done: boolean;
}

export function isPodReady(pod: unknown): boolean {
  if (str(pod, 'status.phase') !== 'Running') return false;
  const ready = arr(pod, 'status.conditions').find((c) => str(c, 'type') === 'Ready');
  if (ready) return str(ready, 'status') === 'True';
  const statuses = arr(pod, 'status.containerStatuses');
  return statuses.length > 0 && statuses.every((cs) => field(cs, 'ready') === true);
}

export function rolloutState(rc: JsonObject, pods: JsonObject[]): RolloutState {
  const desired = num(rc, 'spec.replicas') ?? 0;
  const observed = (num(rc, 'status.observedGeneration') ?? 0) >= (num(rc, 'metadata.generation') ?? 0);
  const ready = pods.filter(isPodReady).length;
  const current = pods.length;
  const statusReplicas = num(rc, 'status.replicas') ?? current;
  return { desired, current, ready, observed, done: observed && ready === desired && current === desired && statusReplicas === desired };
}

/** Reasons that explain why a rollout is stuck, newest last. */
const STUCK_REASONS = new Set([
  'FailedScheduling',
  'ErrImagePull',
  'ImagePullBackOff',
  'CrashLoopBackOff',
  'BackOff',
  'Failed',
  'FailedCreate',
  'Unhealthy',
  'FailedSync',
]);

export async function stuckReasons(ctx: CommandContext, objects: { kind: string; name: string }[], pods: JsonObject[]): Promise<string[]> {
  const wanted = new Set([...objects.map((o) => `${o.kind}/${o.name}`), ...pods.map((p) => `Pod/${str(p, 'metadata.name')}`)]);
  const events = (await ctx.client.list('v1', 'events')).items
    .filter((e) => wanted.has(`${str(e, 'involvedObject.kind')}/${str(e, 'involvedObject.name')}`))
    .filter((e) => str(e, 'type') === 'Warning' || STUCK_REASONS.has(str(e, 'reason')))
    .sort((a, b) => (str(a, 'lastTimestamp') < str(b, 'lastTimestamp') ? -1 : 1));
  // The latest event of each reason for each object, at most eight lines.
  const latest = new Map<string, JsonObject>();
  for (const e of events) latest.set(`${str(e, 'involvedObject.name')}/${str(e, 'reason')}`, e);
  const lines = [...latest.values()]
    .slice(-8)
    .map((e) => `  ${str(e, 'type') || 'Warning'} ${str(e, 'reason')} ${objectRef(str(e, 'involvedObject.kind'), str(e, 'involvedObject.name'))}: ${str(e, 'message')}`);
  if (lines.length === 0) {
    for (const p of pods) {
      const reason = podStatusReason(p);
      if (!isPodReady(p)) lines.push(`  pod/${str(p, 'metadata.name')} is ${reason}${str(p, 'status.message') ? `: ${str(p, 'status.message')}` : ''}`);
    }
  }
  return lines;
}

interface ProgressView {
  update(state: RolloutState): void;
  stop(): void;
}

function progressView(ctx: CommandContext, label: string): ProgressView {
  const out = ctx.io.stdout as NodeJS.WritableStream & { isTTY?: boolean; cursorTo?: unknown };
  if (out.isTTY && typeof out.cursorTo === 'function') {
    const bar = new SingleBar({
      stream: out,
      format: `${label} [{bar}] {value}/{total} ready {note}`,
      hideCursor: true,
      clearOnComplete: false,
    });
    let started = false;
    return {
      update(s) {
        const note = s.observed ? '' : '(waiting for the controller to observe the change)';
        if (!started) {
          bar.start(Math.max(s.desired, 1), s.ready, { note });
          started = true;
        }
        bar.setTotal(Math.max(s.desired, 1));
        bar.update(s.ready, { note });
      },
      stop: () => started && bar.stop(),
    };
  }
  let last = '';
  return {
    update(s) {
      const line = !s.observed
        ? `Waiting for ${label}: the controller has not observed the latest change yet`
        : `Waiting for ${label}: ${s.ready} of ${s.desired} replicas ready (${s.current} exist)`;
      if (line !== last && !s.done) print(ctx, line);
      last = line;
    },
    stop: () => undefined,
  };
}

export interface WaitOptions {
  timeoutMs: number;
  pollMs?: number;
}

export async function waitForController(ctx: CommandContext, name: string, opts: WaitOptions): Promise<void> {
  const label = objectRef('ReplicationController', name);
  const deadline = ctx.clock.now() + opts.timeoutMs;
  const view = progressView(ctx, label);
  let pods: JsonObject[] = [];
  try {
    for (;;) {
      const rc = await ctx.client.get('v1', 'replicationControllers', name);
      pods = (await ctx.client.list('v1', 'pods', { labelSelector: formatLabels(field(rc, 'spec.selector')) })).items;
      const state = rolloutState(rc, pods);
      view.update(state);
      if (state.done) break;
      if (ctx.clock.now() >= deadline || ctx.io.signal?.aborted) {
        view.stop();
        const reasons = await stuckReasons(ctx, [{ kind: 'ReplicationController', name }], pods);
        throw new CliError(
          [`error: timed out waiting for ${label}: ${state.ready} of ${state.desired} replicas ready`, ...reasons].join('\n'),
        );
      }
      await ctx.clock.sleep(opts.pollMs ?? 200, ctx.io.signal);
    }
  } finally {
    view.stop();
  }
  print(ctx, `${label} successfully rolled out`);
}

export async function waitForPod(ctx: CommandContext, name: string, opts: WaitOptions): Promise<void> {
  const deadline = ctx.clock.now() + opts.timeoutMs;
  let announced = '';
  for (;;) {
    const pod = await ctx.client.get('v1', 'pods', name);
    if (isPodReady(pod)) break;
    const reason = podStatusReason(pod);
    if (reason !== announced) print(ctx, `Waiting for pod/${name}: ${reason}`);
    announced = reason;
    if (ctx.clock.now() >= deadline || ctx.io.signal?.aborted) {
      const reasons = await stuckReasons(ctx, [], [pod]);
      throw new CliError([`error: timed out waiting for pod/${name} to be Running and Ready (it is ${reason})`, ...reasons].join('\n'));
    }
    await ctx.clock.sleep(opts.pollMs ?? 200, ctx.io.signal);
  }
  print(ctx, `pod/${name} is Running and Ready`);
}
