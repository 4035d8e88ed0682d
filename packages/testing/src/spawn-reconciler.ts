// Runs one reconciler in a child node process (TypeScript transpiled on load, @coxswain/* mapped to
// the packages' sources), so a test can SIGKILL it: no resign, no revoke, as a crash would be.
// Here rather than in reconcilers' src/testing so bench's rollout test can use it too; the child
// requires @coxswain/reconcilers by name at run time, so this package does not import it.
import { ChildProcess, spawn } from 'child_process';
import { sourceScript } from './source-loader';

export interface SpawnedReconciler {
  child: ChildProcess;
  /** Resolves when the process prints RUNNING (it leads and its workers started). */
  running: Promise<void>;
  isRunning(): boolean;
  exited: Promise<number | null>;
}

export function spawnReconciler(fn: 'runScheduler' | 'runReplicationManager' | 'runEndpointsController' | 'runMinionController' | 'runDeploymentController', opts: Record<string, unknown>): SpawnedReconciler {
  const script = sourceScript(`
    const r = require('@coxswain/reconcilers');
    r.${fn}(${JSON.stringify(opts)}).then((h) => {
      h.running.then(() => console.log('RUNNING'), () => undefined);
      h.done.then((d) => { console.log('DONE ' + d.reason); process.exit(d.reason === 'stopped' ? 0 : 1); });
    }, (err) => { console.error(err); process.exit(2); });
  `);
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
