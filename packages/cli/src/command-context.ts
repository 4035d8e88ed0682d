// What every verb gets: the injected IO, the API client (scoped to the command's namespace), and a
// clock (so waiting verbs are testable).
import type { CliIo } from './cli-io';
import type { ClusterClient } from './cluster-client';
import type { Clock } from '@coxswain/objects';

export { realClock } from '@coxswain/objects';
export type { Clock } from '@coxswain/objects';

export interface CommandContext {
  io: CliIo;
  client: ClusterClient;
  clock: Clock;
  /** Whether -n/--namespace named the client's namespace (a manifest may not contradict it then). */
  namespaceFromFlag: boolean;
}

/** The same command, working in another namespace (a manifest's own). */
export function inNamespace(ctx: CommandContext, namespace: string): CommandContext {
  return namespace === ctx.client.namespace ? ctx : { ...ctx, client: ctx.client.inNamespace(namespace) };
}

export function print(ctx: CommandContext, text: string): void {
  ctx.io.stdout.write(text.endsWith('\n') || text === '' ? text : text + '\n');
}

export function warn(ctx: CommandContext, text: string): void {
  ctx.io.stderr.write(text.endsWith('\n') ? text : text + '\n');
}
