// `kubecfg create configmap NAME` and `kubecfg create secret [generic] NAME` (kubectl's): the keys come
// from `--from-literal KEY=VALUE` and `--from-file [KEY=]PATH` (a directory gives one key per regular
// file in it). The key rules are the server's (422 naming the field); here only what the command line
// itself gets wrong: a literal without '=', an unreadable file, a key given twice.
import fs from 'node:fs';
import path from 'node:path';
import { CliError } from './cli-error';
import { print, type CommandContext } from './command-context';
import { objectRef } from './object-printer';
import { resolveKind } from './resource-kind';

/** Whether `create KIND NAME` makes a ConfigMap or a Secret from keys (no manifest), else undefined. */
export function configDataResource(kind: string): 'configmaps' | 'secrets' | undefined {
  let resource: string;
  try {
    resource = resolveKind(kind).resource;
  } catch {
    return undefined;
  }
  return resource === 'configmaps' || resource === 'secrets' ? resource : undefined;
}

export interface ConfigDataOptions {
  fromLiteral: readonly string[];
  fromFile: readonly string[];
  /** A Secret's type (Opaque when absent). */
  type?: string;
}

/** Each key's bytes, in the order given. */
function collectKeys(ctx: CommandContext, opts: ConfigDataOptions): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const put = (key: string, value: Buffer) => {
    if (out.has(key)) throw new CliError(`error: key "${key}" is given more than once`);
    out.set(key, value);
  };
  for (const literal of opts.fromLiteral) {
    const eq = literal.indexOf('=');
    if (eq <= 0) throw new CliError(`error: --from-literal "${literal}" must be KEY=VALUE`);
    put(literal.slice(0, eq), Buffer.from(literal.slice(eq + 1), 'utf8'));
  }
  for (const source of opts.fromFile) {
    const eq = source.indexOf('=');
    const [key, file] = eq > 0 ? [source.slice(0, eq), source.slice(eq + 1)] : [undefined, source];
    const full = path.resolve(ctx.io.cwd, file);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch {
      throw new CliError(`error: --from-file "${file}": no such file or directory`);
    }
    if (stat.isDirectory()) {
      if (key !== undefined) throw new CliError(`error: --from-file "${source}": a directory takes no KEY=`);
      for (const name of fs.readdirSync(full).sort()) {
        if (fs.statSync(path.join(full, name)).isFile()) put(name, fs.readFileSync(path.join(full, name)));
      }
    } else {
      put(key ?? path.basename(full), fs.readFileSync(full));
    }
  }
  return out;
}

function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

export async function createConfigMap(ctx: CommandContext, name: string, opts: ConfigDataOptions): Promise<void> {
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const [key, bytes] of collectKeys(ctx, opts)) {
    if (isUtf8(bytes)) data[key] = bytes.toString('utf8');
    else binaryData[key] = bytes.toString('base64');
  }
  await ctx.client.create('v1', 'configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name },
    data,
    ...(Object.keys(binaryData).length > 0 ? { binaryData } : {}),
  });
  print(ctx, `${objectRef('ConfigMap', name)} created`);
}

export async function createSecret(ctx: CommandContext, name: string, opts: ConfigDataOptions): Promise<void> {
  const data: Record<string, string> = {};
  for (const [key, bytes] of collectKeys(ctx, opts)) data[key] = bytes.toString('base64');
  await ctx.client.create('v1', 'secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: opts.type ?? 'Opaque', data });
  print(ctx, `${objectRef('Secret', name)} created`);
}
