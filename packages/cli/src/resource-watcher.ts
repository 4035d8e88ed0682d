// `get -w`: prints the current objects, then one row per change from the WebSocket watch. A dropped
// connection resumes from the last resourceVersion seen (after a jittered backoff); an expired one
// (410) relists first. Ends when the IO's signal aborts.
import { Backoff } from '@coxswain/store';
import type { ResourceInfo } from '@coxswain/store';
import { ServerError, UnreachableError, WatchMessage } from './cluster-client';
import { CommandContext, print, warn } from './command-context';
import { JsonObject, str } from './object-fields';
import { OutputFormat, printObjects, tableHeader, tableRows } from './object-printer';
import { formatTable, KUBECTL_TABLE } from './tab-writer';

export interface WatchPrintOptions {
  name?: string;
  labelSelector?: string;
  format: OutputFormat;
  /** Stop after this many change rows (for scripts and tests); unlimited when absent. */
  maxEvents?: number;
}

export async function watchAndPrint(ctx: CommandContext, info: ResourceInfo, opts: WatchPrintOptions): Promise<void> {
  const fieldSelector = opts.name ? `metadata.name=${opts.name}` : undefined;
  const signal = ctx.io.signal;
  const backoff = new Backoff({ initialMs: 200, maxMs: 5_000, clock: ctx.clock });
  const table = opts.format === 'table' || opts.format === 'wide';
  const wide = opts.format === 'wide';
  const header = tableHeader(info.resource, wide);

  const printChange = (obj: JsonObject) => {
    if (table) {
      // Each row is aligned against the header, as kubectl -w does.
      const lines = formatTable([header, ...tableRows(info.resource, [obj], wide, ctx.clock.now())], KUBECTL_TABLE).split('\n');
      print(ctx, lines[1]);
    } else {
      print(ctx, printObjects(info.resource, info.kind, [obj], opts.format, ctx.clock.now()));
    }
  };

  const relist = async (): Promise<string> => {
    const list = await ctx.client.list('v1', info.resource, { labelSelector: opts.labelSelector, fieldSelector });
    return list.resourceVersion;
  };

  const first = await ctx.client.list('v1', info.resource, { labelSelector: opts.labelSelector, fieldSelector });
  if (table) print(ctx, formatTable([header, ...tableRows(info.resource, first.items, wide, ctx.clock.now())], KUBECTL_TABLE));
  else for (const item of first.items) printChange(item);
  let resourceVersion = first.resourceVersion;
  let seen = 0;

  while (!signal?.aborted) {
    const handle = ctx.client.watch('v1', info.resource, { labelSelector: opts.labelSelector, fieldSelector, resourceVersion });
    const onAbort = () => handle.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const msg of handle as AsyncIterable<WatchMessage>) {
        if (msg.type === 'BOOKMARK') {
          resourceVersion = str(msg.object, 'metadata.resourceVersion') || resourceVersion;
          continue;
        }
        if (msg.type === 'ERROR') {
          const code = Number(msg.object.code);
          if (code === 410) {
            resourceVersion = await relist();
            break;
          }
          throw new ServerError(code, str(msg.object, 'reason') || 'Unknown', str(msg.object, 'message') || 'watch failed');
        }
        resourceVersion = str(msg.object, 'metadata.resourceVersion') || resourceVersion;
        printChange(msg.object);
        if (opts.maxEvents !== undefined && ++seen >= opts.maxEvents) return;
      }
    } catch (e) {
      if (!(e instanceof UnreachableError) || signal?.aborted) throw e;
      warn(ctx, `watch: connection lost (${e.server}); resuming from resourceVersion ${resourceVersion}`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      handle.close();
    }
    if (signal?.aborted) break;
    // The stream ended (server restart, idle proxy, network): resume where we were.
    await ctx.clock.sleep(backoff.nextDelay(), signal);
  }
}
