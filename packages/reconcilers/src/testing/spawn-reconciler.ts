// Runs one reconciler in a child node process (TypeScript transpiled on load, @coxswain/* mapped to
// the packages' sources), so a test can SIGKILL it: no resign, no revoke, as a crash would be.
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';

export interface SpawnedReconciler {
  child: ChildProcess;
  /** Resolves when the process prints RUNNING (it leads and its workers started). */
  running: Promise<void>;
  isRunning(): boolean;
  exited: Promise<number | null>;
}

const packagesDir = path.resolve(__dirname, '../../..');

export function spawnReconciler(fn: 'runScheduler' | 'runReplicationManager' | 'runEndpointsController' | 'runMinionController', opts: Record<string, unknown>): SpawnedReconciler {
  const script = `
    const fs = require('fs');
    const path = require('path');
    const Module = require('module');
    const ts = require('typescript');
    const packagesDir = ${JSON.stringify(packagesDir)};
    const origResolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      const m = /^@coxswain\\/(store|reconcilers)$/.exec(request);
      if (m) request = path.join(packagesDir, m[1], 'src', 'index.ts');
      return origResolve.call(this, request, ...rest);
    };
    require.extensions['.ts'] = (m, f) => m._compile(ts.transpileModule(fs.readFileSync(f, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText, f);
    const r = require(path.join(packagesDir, 'reconcilers', 'src', 'index.ts'));
    r.${fn}(${JSON.stringify(opts)}).then((h) => {
      h.running.then(() => console.log('RUNNING'), () => undefined);
      h.done.then((d) => { console.log('DONE ' + d.reason); process.exit(d.reason === 'stopped' ? 0 : 1); });
    }, (err) => { console.error(err); process.exit(2); });
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COXSWAIN_LOG_LEVEL: 'silent' } });
  let stderr = '';
  let isRunning = false;
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c) => {
      if (String(c).includes('RUNNING')) {
        isRunning = true;
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`${fn} exited (${code}) before running: ${stderr}`)));
  });
  running.catch(() => undefined);
  return { child, running, isRunning: () => isRunning, exited };
}
