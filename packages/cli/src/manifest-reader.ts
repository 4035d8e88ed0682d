// Reads manifests for create/update/apply/delete: a file, a directory's .json/.yaml/.yml files, or
// stdin (`-`); JSON or YAML, several YAML documents a file, `kind: List` expanded. A document that
// does not parse is reported with its file and line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { CliIo, readAll } from './cli-io';
import { ManifestError } from './cli-error';

export type JsonObject = Record<string, unknown>;

export interface Manifest {
  /** The file it came from (`<stdin>` for `-`). */
  source: string;
  object: JsonObject;
}

const MANIFEST_EXTENSIONS = ['.json', '.yaml', '.yml'];

export async function readManifests(target: string, io: CliIo): Promise<Manifest[]> {
  if (target === '-') return parseManifests(await readAll(io.stdin), '<stdin>');
  const full = path.resolve(io.cwd, target);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch {
    throw new ManifestError(target, undefined, 'no such file or directory');
  }
  if (stat.isDirectory()) {
    const files = fs
      .readdirSync(full)
      .filter((f) => MANIFEST_EXTENSIONS.includes(path.extname(f).toLowerCase()))
      .sort();
    const out: Manifest[] = [];
    for (const f of files) out.push(...parseManifests(fs.readFileSync(path.join(full, f), 'utf8'), path.join(target, f)));
    if (out.length === 0) throw new ManifestError(target, undefined, 'no .json, .yaml or .yml manifests in this directory');
    return out;
  }
  return parseManifests(fs.readFileSync(full, 'utf8'), target);
}

export function parseManifests(text: string, source: string): Manifest[] {
  const trimmed = text.trimStart();
  const docs = trimmed.startsWith('{') || trimmed.startsWith('[') ? [parseJson(text, source)] : parseYaml(text, source);
  const out: Manifest[] = [];
  for (const doc of docs) expand(doc, source, out);
  if (out.length === 0) throw new ManifestError(source, undefined, 'no objects in manifest');
  return out;
}

function expand(doc: unknown, source: string, out: Manifest[]): void {
  if (doc === null || doc === undefined) return;
  if (Array.isArray(doc)) {
    for (const d of doc) expand(d, source, out);
    return;
  }
  if (typeof doc !== 'object') throw new ManifestError(source, undefined, `expected an object, found ${JSON.stringify(doc)}`);
  const obj = doc as JsonObject;
  if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
    for (const item of obj.items) expand(item, source, out);
    return;
  }
  out.push({ source, object: obj });
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const pos = /position (\d+)/.exec(message);
    let line: number | undefined = pos ? lineAt(text, Number(pos[1])) : undefined;
    if (line === undefined) {
      // V8 does not always say where; the YAML parser (JSON is YAML) usually can.
      const doc = YAML.parseDocument(text);
      line = doc.errors[0]?.linePos?.[0]?.line ?? lineAt(text, text.length);
    }
    throw new ManifestError(source, line, `invalid JSON: ${message.replace(/\s*in JSON at position \d+.*$/, '')}`);
  }
}

function parseYaml(text: string, source: string): unknown[] {
  const docs = YAML.parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line;
      throw new ManifestError(source, line, `invalid YAML: ${err.message.split('\n')[0]}`);
    }
    out.push(doc.toJS());
  }
  return out;
}
