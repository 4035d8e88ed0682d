// The built `coxswain` binary the suites that start a local cluster run (and `npx kubecfg` beside it).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
export const COXSWAIN_MAIN = path.join(ROOT, 'packages/coxswain/dist/main.js');

/** Builds packages/coxswain and what it references (a no-op check when `npm run build` ran). */
export function buildCoxswain(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'packages/coxswain'], { cwd: ROOT, timeout: 300_000 }, (err, stdout) => {
      // tsc -b emits despite type errors elsewhere; only a missing binary stops the suite.
      if (existsSync(COXSWAIN_MAIN)) resolve();
      else reject(new Error(`could not build packages/coxswain: ${err?.message}\n${stdout}`));
    });
  });
}
