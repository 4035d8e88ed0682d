// What every verb gets: the injected IO, the API client, and a clock (so waiting verbs are testable).
import type { CliIo } from './cli-io';
import type { ClusterClient } from './cluster-client';
import type { Clock } from '@coxswain/store';

export { realClock } from '@coxswain/store';
export type { Clock } from '@coxswain/store';

export interface CommandContext {
  io: CliIo;
  client: ClusterClient;
  clock: Clock;
}

export function print(ctx: CommandContext, text: string): void {
  ctx.io.stdout.write(text.endsWith('\n') || text === '' ? text : text + '\n');
}

export function warn(ctx: CommandContext, text: string): void {
  ctx.io.stderr.write(text.endsWith('\n') ? text : text + '\n');
}
