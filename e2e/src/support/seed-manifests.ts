// The seed's guestbook manifests (examples/seed-guestbook/), as the slides print them. Their 2014
// image names run here because e2e/images/build.sh tags the local stand-ins under those names.
import { readdirSync } from 'node:fs';
import * as path from 'node:path';

export const SEED_GUESTBOOK_DIR = path.resolve(__dirname, '../../../examples/seed-guestbook');

/** The slides' names and the local builds that answer to them (e2e/images/recipes: ALIASES). */
export const GUESTBOOK_IMAGES = {
  'dockerfile/redis': 'coxswain/redis',
  'brendanburns/redis-slave': 'coxswain/redis-slave',
  'brendanburns/php-redis': 'coxswain/guestbook:v1',
} as const;

export const GUESTBOOK_V2 = 'coxswain/guestbook:v2';

/** The seed manifest files by file name (redis-master.json, ...), unedited. */
export function seedGuestbookFiles(): Record<string, string> {
  return Object.fromEntries(
    readdirSync(SEED_GUESTBOOK_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f, path.join(SEED_GUESTBOOK_DIR, f)]),
  );
}
