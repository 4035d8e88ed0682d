// The seed's `rollingupdate`: optionally set a new image on the controller's template, then replace
// its pods a few at a time — at most maxUnavailable down at once — waiting for each replacement
// (made by the replication manager) to be Running and Ready before taking down the next, with the
// update period between batches. "Run 100 copies with a target of <= 2 tasks down at any time."
import { CliError } from './cli-error';
import { CommandContext, print } from './command-context';
import { isConflict } from './error-report';
import { arr, field, formatLabels, JsonObject, num, str } from '@coxswain/objects';
import { isPodReady, stuckReasons } from './rollout-waiter';

export interface RollingUpdateOptions {
  image?: string;
  periodMs: number;
  maxUnavailable: number;
  /** How long one batch may take to become ready. */
  timeoutMs: number;
  pollMs?: number;
}

const podImages = (pod: unknown) => arr(pod, 'spec.containers').map((c) => str(c, 'image')).join(',');

async function setTemplateImage(ctx: CommandContext, name: string, image: string): Promise<JsonObject> {
  for (let attempt = 0; ; attempt++) {
    const rc = await ctx.client.get('v1', 'replicationControllers', name);
    for (const c of arr(rc, 'spec.template.spec.containers')) (c as JsonObject).image = image;
    try {
      return await ctx.client.update('v1', 'replicationControllers', name, rc);
    } catch (e) {
      if (!isConflict(e) || attempt >= 4) throw e;
    }
  }
}

export async function rollingUpdate(ctx: CommandContext, name: string, opts: RollingUpdateOptions): Promise<void> {
  if (!Number.isInteger(opts.maxUnavailable) || opts.maxUnavailable < 1) throw new CliError('error: --max-unavailable must be a whole number >= 1');
  let rc = await ctx.client.get('v1', 'replicationControllers', name);
  if (opts.image) {
    rc = await setTemplateImage(ctx, name, opts.image);
    print(ctx, `replicationcontroller/${name}: template image set to ${opts.image}`);
  }
  const selector = formatLabels(field(rc, 'spec.selector'));
  const desired = num(rc, 'spec.replicas') ?? 0;
  const wanted = arr(rc, 'spec.template.spec.containers').map((c) => str(c, 'image')).join(',');
  const pods = (await ctx.client.list('v1', 'pods', { labelSelector: selector })).items;
  // With a new image, the pods still on another image; without one, every pod (a restart onto the template).
  const old = pods.filter((p) => !opts.image || podImages(p) !== wanted).map((p) => str(p, 'metadata.name'));
  print(ctx, `Updating replicationcontroller/${name}: ${old.length} pods to replace, at most ${opts.maxUnavailable} unavailable at a time`);
  const gone = new Set<string>();
  let replaced = 0;
  while (old.length > 0) {
    const batch = old.splice(0, opts.maxUnavailable);
    for (const pod of batch) {
      try {
        await ctx.client.delete('v1', 'pods', pod);
      } catch (e) {
        if (!(e instanceof Error && 'code' in e && (e as { code: number }).code === 404)) throw e;
      }
      gone.add(pod);
      print(ctx, `Stopped pod/${pod}`);
    }
    const deadline = ctx.clock.now() + opts.timeoutMs;
    for (;;) {
      const current = (await ctx.client.list('v1', 'pods', { labelSelector: selector })).items.filter((p) => !gone.has(str(p, 'metadata.name')));
      const ready = current.filter(isPodReady).length;
      if (ready >= desired) break;
      if (ctx.clock.now() >= deadline || ctx.io.signal?.aborted) {
        const reasons = await stuckReasons(ctx, [{ kind: 'ReplicationController', name }], current.filter((p) => !isPodReady(p)));
        throw new CliError(
          [`error: timed out waiting for replacements of ${batch.join(', ')}: ${ready} of ${desired} replicas ready`, ...reasons].join('\n'),
        );
      }
      await ctx.clock.sleep(opts.pollMs ?? 200, ctx.io.signal);
    }
    replaced += batch.length;
    print(ctx, `${replaced} of ${replaced + old.length} pods replaced; ${desired} of ${desired} ready`);
    if (old.length > 0 && opts.periodMs > 0) await ctx.clock.sleep(opts.periodMs, ctx.io.signal);
  }
  print(ctx, `replicationcontroller/${name} updated`);
}
