// `get -w`: prints the current objects, then one row per change from the WebSocket watch. The watch
// resumes by itself after a dropped connection (from the last resourceVersion it saw) and relists
// after an expired one (410). Ends when the IO's signal aborts, or after maxEvents changes.
import type { ResourceInfo } from '@coxswain/objects';
import { CommandContext, print, warn } from './command-context';
import type { JsonObject } from '@coxswain/objects';
import { OutputFormat, printObjects, tableHeader, tableRows } from './object-printer';
import { formatTable, KUBECTL_TABLE } from './tab-writer';

export interface WatchPrintOptions {
  name?: string;
  labelSelector?: string;
  format: OutputFormat;
  /** Watch every namespace, with a NAMESPACE column (`get -w -A`). */
  allNamespaces?: boolean;
  /** Stop after this many change rows (for scripts and tests); unlimited when absent. */
  maxEvents?: number;
}

export async function watchAndPrint(ctx: CommandContext, info: ResourceInfo, opts: WatchPrintOptions): Promise<void> {
  const fieldSelector = opts.name ? `metadata.name=${opts.name}` : undefined;
  const table = opts.format === 'table' || opts.format === 'wide';
  const wide = opts.format === 'wide';
  const allNamespaces = Boolean(opts.allNamespaces);
  const withNamespace = allNamespaces && info.namespaced;
  const header = tableHeader(info.resource, wide, withNamespace);
  const rows = (objects: readonly JsonObject[]) => tableRows(info.resource, objects, wide, ctx.clock.now(), withNamespace);

  const printChange = (obj: JsonObject) => {
    if (table) {
      // Each row is aligned against the header, as kubectl -w does.
      print(ctx, formatTable([header, ...rows([obj])], KUBECTL_TABLE).split('\n')[1]);
    } else {
      print(ctx, printObjects(info.resource, info.kind, [obj], opts.format, ctx.clock.now()));
    }
  };

  const query = { labelSelector: opts.labelSelector, fieldSelector, allNamespaces };
  const first = await ctx.client.list('v1', info.resource, query);
  if (table) print(ctx, formatTable([header, ...rows(first.items)], KUBECTL_TABLE));
  else for (const item of first.items) printChange(item);

  let seen = 0;
  let finished!: () => void;
  const enough = new Promise<void>((r) => (finished = r));
  let lostSince: number | undefined;
  const handle = ctx.client.watch('v1', info.resource, {
    ...query,
    resourceVersion: first.resourceVersion,
    onEvent: (e) => {
      if (lostSince !== undefined) warn(ctx, 'watch: reconnected');
      lostSince = undefined;
      printChange(e.object);
      if (opts.maxEvents !== undefined && ++seen >= opts.maxEvents) finished();
    },
    onExpired: async () => (await ctx.client.list('v1', info.resource, query)).resourceVersion,
    onError: (err) => {
      if (lostSince === undefined) warn(ctx, `watch: connection lost (${err.message}); resuming`);
      lostSince ??= ctx.clock.now();
    },
  });
  const aborted = new Promise<void>((r) => {
    if (ctx.io.signal?.aborted) r();
    ctx.io.signal?.addEventListener('abort', () => r(), { once: true });
  });
  try {
    await Promise.race([enough, aborted, handle.done]);
  } finally {
    await handle.close();
  }
}
