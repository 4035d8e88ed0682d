// Builds the locally-made images (e2e/images/build.sh) once per process; the script itself is cached
// by a content hash and serialised with a lock, so concurrent suites can all call this.
import { execFile } from 'node:child_process';
import * as path from 'node:path';

export const IMAGES = {
  pause: 'coxswain/pause',
  busybox: 'coxswain/busybox',
  redis: 'coxswain/redis',
  redisSlave: 'coxswain/redis-slave',
} as const;

const BUILD_SCRIPT = path.resolve(__dirname, '../../images/build.sh');

let built: Promise<void> | undefined;

/** Builds (or finds cached) every local image; rejects with the script's output when it fails. */
export function ensureImages(): Promise<void> {
  built ??= new Promise<void>((resolve, reject) => {
    execFile('bash', [BUILD_SCRIPT], { timeout: 5 * 60_000 }, (err, stdout, stderr) => {
      if (err) {
        built = undefined;
        reject(new Error(`e2e/images/build.sh failed: ${err.message}\n${stdout}\n${stderr}`));
      } else resolve();
    });
  });
  return built;
}
