// Which namespace a manifest's object is written to, as kubectl decides it: the object's own
// (`metadata.namespace`, or `namespace` in the seed's v1beta1) wins over the config file's; when
// -n/--namespace names another one, that is an error rather than a silent choice of either.
import type { ResourceInfo } from '@coxswain/objects';
import { CliError } from './cli-error';
import { CommandContext, inNamespace } from './command-context';
import { JsonObject, str } from '@coxswain/objects';

/** The namespace an object names for itself, if any. */
export function namespaceOf(obj: JsonObject): string | undefined {
  return str(obj, 'metadata.namespace') || str(obj, 'namespace') || undefined;
}

/** The command's context scoped to where this object goes; `source` names the file in errors. */
export function contextForObject(ctx: CommandContext, info: ResourceInfo, obj: JsonObject, source: string): CommandContext {
  const own = info.namespaced ? namespaceOf(obj) : undefined;
  if (!own) return ctx;
  const flag = ctx.client.namespace;
  if (ctx.namespaceFromFlag && own !== flag) {
    throw new CliError(
      `error: ${source}: the namespace from the provided object "${own}" does not match the namespace "${flag}" given by --namespace. ` +
        `Use --namespace=${own}, or remove the namespace from the object.`,
    );
  }
  return inNamespace(ctx, own);
}
