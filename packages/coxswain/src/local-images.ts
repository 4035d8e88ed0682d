// The images the seed's guestbook names, made on this machine: e2e/images/build.sh assembles the
// stand-ins from host binaries (cached by content hash) and tags them under the slides' names
// (dockerfile/redis, brendanburns/redis-slave, brendanburns/php-redis), so the manifests in
// examples/seed-guestbook run unedited without a registry.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';

/** e2e/images/build.sh of the repository this package runs from (src/ under jest, dist/ otherwise). */
export const BUILD_SCRIPT = join(__dirname, '..', '..', '..', 'e2e', 'images', 'build.sh');

export interface LocalImagesResult {
  /** Images rebuilt this time (the rest were up to date). */
  built: string[];
  /** Seed names that now run a local stand-in. */
  aliases: string[];
  /** Seed names left alone because they hold an image from elsewhere. */
  foreign: string[];
}

export class LocalImagesError extends Error {}

/** Runs the build script, its output appended to `logFile`; rejects when it fails. */
export function buildLocalImages(logFile: string, script = BUILD_SCRIPT, env: NodeJS.ProcessEnv = {}): Promise<LocalImagesResult> {
  if (!existsSync(script)) return Promise.reject(new LocalImagesError(`${script} is missing (coxswain up builds the demo images from the repository's e2e/images)`));
  return new Promise((resolve, reject) => {
    const out = createWriteStream(logFile, { flags: 'a' });
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let text = '';
    for (const s of [child.stdout, child.stderr]) {
      s.on('data', (c: Buffer) => {
        text += c.toString();
        out.write(c);
      });
    }
    child.on('error', (err) => {
      out.end();
      reject(new LocalImagesError(`could not run ${script}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      out.end(() => {
        if (code !== 0) return reject(new LocalImagesError(`${script} exited ${code ?? signal}`));
        const all = (re: RegExp) => [...text.matchAll(re)].map((m) => m[1]);
        resolve({
          built: all(/^build\.sh: built (\S+)/gm),
          aliases: [...all(/^build\.sh: tagged (\S+) as/gm), ...all(/^build\.sh: (\S+) is \S+$/gm)],
          foreign: all(/^build\.sh: (\S+) exists and is not a Coxswain build/gm),
        });
      });
    });
  });
}
