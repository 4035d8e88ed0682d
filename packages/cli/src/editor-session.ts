// `kubecfg edit KIND NAME`: the object as YAML in $EDITOR; what is saved is written back with the
// resourceVersion that was read, so a change someone else made in the meantime is a 409 that is
// reported (the edit is kept in its file), never silently overwritten.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { deepEqual, type ResourceInfo } from '@coxswain/objects';
import { CliError } from './cli-error';
import { CommandContext, print } from './command-context';
import { isConflict } from './error-report';
import { parseManifests } from './manifest-reader';
import { objectRef } from './object-printer';
import { nameOf, resourceVersionOf, setResourceVersion } from './wire-object';
import { isObject, JsonObject } from '@coxswain/objects';
import { ServerError } from './cluster-client';

const BANNER =
  '# Edit the object below and save to apply it; lines beginning with "#" are ignored.\n' +
  '# Saving it unchanged (or emptying the file) cancels the edit.\n';

function runEditor(editor: string, file: string, env: Record<string, string | undefined>): Promise<number> {
  return new Promise((resolve, reject) => {
    // Through the shell, so that EDITOR may carry arguments (`code --wait`, `node script.js`).
    const child = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'kubecfg-editor', file], { stdio: 'inherit', env: env as NodeJS.ProcessEnv });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(signal ? 128 : (code ?? 1)));
  });
}

/** The object without what its controllers write (status) or the store stamps (resourceVersion, generation). */
function intentOf(obj: JsonObject): JsonObject {
  const meta = isObject(obj.metadata) ? { ...obj.metadata } : {};
  delete meta.resourceVersion;
  delete meta.generation;
  return { ...obj, metadata: meta, status: undefined };
}

/**
 * PUT with the resourceVersion that was read. A 409 caused only by a status write (a replication
 * manager counting pods) is not a conflict with the user's edit: retry on the new version. Any
 * change to spec or metadata is, and is thrown.
 */
async function updateUnlessIntentChanged(ctx: CommandContext, info: ResourceInfo, name: string, before: JsonObject, after: JsonObject): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await ctx.client.update('v1', info.resource, name, after);
      return;
    } catch (e) {
      if (!isConflict(e) || attempt >= 4) throw e;
      const current = await ctx.client.get('v1', info.resource, name);
      if (!deepEqual(intentOf(current), intentOf(before))) throw e;
      setResourceVersion(after, 'v1', resourceVersionOf(current));
    }
  }
}

export async function editObject(ctx: CommandContext, info: ResourceInfo, name: string): Promise<void> {
  const editor = ctx.io.env.KUBE_EDITOR || ctx.io.env.EDITOR || ctx.io.env.VISUAL || 'vi';
  const before = await ctx.client.get('v1', info.resource, name);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubecfg-edit-'));
  const file = path.join(dir, `${info.kind.toLowerCase()}-${name}.yaml`);
  fs.writeFileSync(file, BANNER + YAML.stringify(before));
  let keepFile = false;
  try {
    const code = await runEditor(editor, file, ctx.io.env);
    if (code !== 0) throw new CliError(`error: the editor (${editor}) exited with status ${code}; nothing was changed`);
    const text = fs.readFileSync(file, 'utf8');
    if (text.split('\n').every((l) => l.trim() === '' || l.trimStart().startsWith('#'))) {
      print(ctx, 'Edit cancelled, no changes made.');
      return;
    }
    let after;
    try {
      const docs = parseManifests(text, file);
      if (docs.length !== 1) throw new CliError(`error: ${file}: expected one object, found ${docs.length}`);
      after = docs[0].object;
    } catch (e) {
      keepFile = true;
      throw e;
    }
    if (deepEqual(after, before)) {
      print(ctx, 'Edit cancelled, no changes made.');
      return;
    }
    if (nameOf(after) !== name) {
      keepFile = true;
      throw new CliError(`error: the name cannot be changed by edit (was "${name}", now "${nameOf(after)}"); your edit is kept in ${file}`);
    }
    // Always the version that was read: the server refuses the write if the object moved on since.
    setResourceVersion(after, 'v1', resourceVersionOf(before));
    try {
      await updateUnlessIntentChanged(ctx, info, name, before, after);
    } catch (e) {
      if (isConflict(e)) {
        keepFile = true;
        const err = e as ServerError;
        throw new CliError(
          `Error from server (Conflict): ${err.message}\nerror: ${objectRef(info.kind, name)} was changed by someone else while you edited it; ` +
            `your edit was NOT applied and is kept in ${file} (run kubecfg edit again to start from the current version)`,
        );
      }
      if (e instanceof ServerError) keepFile = true;
      throw e;
    }
    print(ctx, `${objectRef(info.kind, name)} edited`);
  } finally {
    if (!keepFile) fs.rmSync(dir, { recursive: true, force: true });
  }
}
