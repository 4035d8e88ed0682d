// Turns what the user typed (`pods`, `po`, `rc`, `replicationControllers`, `pods/ID`) into a resource,
// and an unknown word into an error that lists the known kinds.
import { RESOURCES, resolveResource, ResourceInfo } from '@coxswain/objects';
import { CliError } from './cli-error';

export function knownKinds(): string {
  return RESOURCES.map((r) => `${r.resource} (${[r.kind, ...r.aliases.filter((a) => a.length <= 3)].join(', ')})`).join(', ');
}

export function resolveKind(word: string): ResourceInfo {
  const info = resolveResource(word);
  if (!info) throw new CliError(`error: the server doesn't have a resource type "${word}"; known kinds: ${knownKinds()}`);
  return info;
}

/** `pods/redis-master-2` -> [pods, redis-master-2]; a bare word has no name. */
export function splitKindName(arg: string): { info: ResourceInfo; name?: string } {
  const slash = arg.indexOf('/');
  if (slash < 0) return { info: resolveKind(arg) };
  const name = arg.slice(slash + 1);
  if (!name) throw new CliError(`error: "${arg}" names no object; use KIND/NAME`);
  return { info: resolveKind(arg.slice(0, slash)), name };
}
