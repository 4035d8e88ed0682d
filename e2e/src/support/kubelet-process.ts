// Runs `runKubelet` in a child process straight from the TypeScript sources (transpiled on require
// with the typescript package), so a test can SIGKILL a real kubelet process and start it again.
import { ChildProcess, spawn } from 'child_process';
import type { RunKubeletOptions } from '@coxswain/kubelet';
import { sourceScript } from '@coxswain/testing';

const BODY = `
const { runKubelet } = require(path.join(ROOT, 'packages/kubelet/src/run-kubelet.ts'));
runKubelet(JSON.parse(process.env.KUBELET_OPTS)).then(
  (k) => {
    process.stdout.write('KUBELET_READY\\n');
    process.on('SIGTERM', () => k.stop().then(() => process.exit(0)));
  },
  (e) => { console.error(e); process.exit(1); },
);
`;

export interface KubeletProcess {
  child: ChildProcess;
  /** SIGKILL: no cleanup of any kind. */
  kill(): Promise<void>;
  /** SIGTERM: a clean stop (containers stay). */
  stop(): Promise<void>;
  output(): string;
}

export function startKubeletProcess(opts: RunKubeletOptions, timeoutMs = 60_000): Promise<KubeletProcess> {
  const child = spawn(process.execPath, ['-e', sourceScript(BODY)], {
    env: { ...process.env, KUBELET_OPTS: JSON.stringify(opts), COXSWAIN_LOG_LEVEL: process.env.COXSWAIN_LOG_LEVEL ?? 'warn', JEST_WORKER_ID: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: KubeletProcess = {
    child,
    output: () => out,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kubelet process did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
      if (out.includes('KUBELET_READY')) {
        clearTimeout(timer);
        resolve(proc);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`kubelet process exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
}
