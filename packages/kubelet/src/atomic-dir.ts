// Writes a set of files into a directory so that a reader sees either the old set or the new one,
// never a mix, as Kubernetes' AtomicWriter does for configMap and secret volumes:
//   <dir>/..<stamp>/<files>       the payload, one directory per version
//   <dir>/..data -> ..<stamp>     swapped with one rename(2)
//   <dir>/<top> -> ..data/<top>   one link per top-level name, so paths stay stable across versions
// A container that bind-mounts <dir> sees a changed file at its usual path after the swap, without
// a restart (a subPath mount pins one version, as in Kubernetes).
import fs from 'node:fs';
import path from 'node:path';

export interface PayloadFile {
  bytes: Buffer;
  mode: number;
}

const DATA = '..data';

function samePayload(dir: string, payload: Map<string, PayloadFile>): boolean {
  const current = path.join(dir, DATA);
  if (!fs.existsSync(current)) return false;
  const existing = listFiles(current);
  if (existing.length !== payload.size) return false;
  for (const rel of existing) {
    const want = payload.get(rel);
    if (!want) return false;
    const full = path.join(current, rel);
    if ((fs.statSync(full).mode & 0o777) !== want.mode || !fs.readFileSync(full).equals(want.bytes)) return false;
  }
  return true;
}

function listFiles(root: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(root, rel));
    else out.push(rel);
  }
  return out;
}

/** Makes `dir` hold exactly `payload` (relative path -> bytes and mode). Returns whether anything changed. */
export function writeAtomically(dir: string, payload: Map<string, PayloadFile>, now: Date = new Date()): boolean {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (samePayload(dir, payload)) return false;
  const stamp = `..${now.toISOString().replace(/[-:.]/g, '_')}.${process.pid}${Math.random().toString(36).slice(2, 8)}`;
  const version = path.join(dir, stamp);
  fs.mkdirSync(version, { mode: 0o755 });
  for (const [rel, file] of payload) {
    const full = path.join(version, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true, mode: 0o755 });
    fs.writeFileSync(full, file.bytes, { mode: file.mode });
    fs.chmodSync(full, file.mode); // the umask must not narrow a defaultMode
  }
  const previous = fs.existsSync(path.join(dir, DATA)) ? fs.readlinkSync(path.join(dir, DATA)) : undefined;
  const tmp = path.join(dir, `${DATA}_tmp`);
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(stamp, tmp);
  fs.renameSync(tmp, path.join(dir, DATA));
  // The user-visible names: one link per top-level entry of the payload; stale ones go.
  const tops = new Set([...payload.keys()].map((rel) => rel.split('/')[0]!));
  for (const top of tops) {
    const link = path.join(dir, top);
    if (!fs.existsSync(link) && !isLink(link)) fs.symlinkSync(`${DATA}/${top}`, link);
  }
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('..') || tops.has(name)) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
  if (previous && previous !== stamp) fs.rmSync(path.join(dir, previous), { recursive: true, force: true });
  return true;
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
