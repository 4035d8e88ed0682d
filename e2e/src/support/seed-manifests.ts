// The seed's guestbook manifests (examples/seed-guestbook/) copied to a directory with their 2014
// public images replaced by the images e2e/images/ builds locally (no registry on this machine).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const SEED_GUESTBOOK_DIR = path.resolve(__dirname, '../../../examples/seed-guestbook');

export const GUESTBOOK_IMAGES = {
  'dockerfile/redis': 'coxswain/redis',
  'brendanburns/redis-slave': 'coxswain/redis-slave',
  'brendanburns/php-redis': 'coxswain/guestbook:v1',
} as const;

export const GUESTBOOK_V2 = 'coxswain/guestbook:v2';

function mapImages(node: unknown, images: Record<string, string>, seen: Set<string>): void {
  if (Array.isArray(node)) {
    node.forEach((n) => mapImages(n, images, seen));
  } else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (typeof o.image === 'string') {
      const to = images[o.image];
      if (!to) throw new Error(`seed manifest names image ${o.image}, which has no local build`);
      seen.add(o.image);
      o.image = to;
    }
    Object.values(o).forEach((v) => mapImages(v, images, seen));
  }
}

/** Writes every seed manifest to `dir` with images mapped; returns the file paths by file name. */
export function writeSeedGuestbook(dir: string, images: Record<string, string> = GUESTBOOK_IMAGES): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const seen = new Set<string>();
  const files: Record<string, string> = {};
  for (const name of readdirSync(SEED_GUESTBOOK_DIR).filter((f) => f.endsWith('.json'))) {
    const manifest = JSON.parse(readFileSync(path.join(SEED_GUESTBOOK_DIR, name), 'utf8')) as unknown;
    mapImages(manifest, images, seen);
    files[name] = path.join(dir, name);
    writeFileSync(files[name], JSON.stringify(manifest, null, 2) + '\n');
  }
  const unused = Object.keys(images).filter((i) => !seen.has(i));
  if (unused.length) throw new Error(`seed manifests no longer name ${unused.join(', ')}`);
  return files;
}
