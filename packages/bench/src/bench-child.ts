// Starts a bench role (bench-roles.ts) in a child node process and talks to it over IPC. From the
// built package the child runs dist/bench/bench-roles.js; from TypeScript sources (jest) it runs the
// same file transpiled on load, with @coxswain/* mapped to the packages' sources.
import { ChildProcess, spawn } from 'child_process';
import { SERVER_NODE_FLAGS } from '@coxswain/process';
import * as path from 'path';
import type { BenchRole } from './bench-roles';
import { sourceScript } from '@coxswain/testing';

export interface BenchChild {
  role: BenchRole;
  child: ChildProcess;
  pid: number;
  info: Record<string, unknown>;
  /** Asks the child to stop cleanly; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The child's event-loop delay since the last call, and its role's report if it has one (undefined if it does not answer in 5 s). */
  stats(): Promise<ChildStats | undefined>;
  /** Sends the role a control message (bench-roles.ts: e.g. a pipeline on or off) and waits until it is done. */
  control(body: unknown, timeoutMs?: number): Promise<void>;
}

export interface ChildStats {
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  report?: unknown;
}

function launcherArgs(role: BenchRole, opts: unknown, nodeArgs: string[]): string[] {
  const roleArgs = [role, JSON.stringify(opts)];
  nodeArgs = [...SERVER_NODE_FLAGS, ...nodeArgs]; // the cluster's processes start as `coxswain up` starts them
  if (__filename.endsWith('.js')) return [...nodeArgs, path.join(__dirname, 'bench-roles.js'), ...roleArgs];
  const script = sourceScript(`require(${JSON.stringify(path.join(__dirname, 'bench-roles.ts'))}).roleMain(process.argv.slice(1));`);
  return [...nodeArgs, '-e', script, ...roleArgs];
}

export interface SpawnOptions {
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=...'], or a choice of them by role. */
  nodeArgs?: string[] | ((role: BenchRole) => string[]);
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

export function spawnBenchChild(role: BenchRole, opts: Record<string, unknown>, so: SpawnOptions = {}): Promise<BenchChild> {
  const child = spawn(process.execPath, launcherArgs(role, opts, typeof so.nodeArgs === 'function' ? so.nodeArgs(role) : (so.nodeArgs ?? [])), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // The API server's warnings are few and say what went wrong in a run (a re-list, a request that failed); the rest only errors.
    env: { ...process.env, COXSWAIN_LOG_LEVEL: process.env.COXSWAIN_LOG_LEVEL ?? (role === 'apiserver' ? 'warn' : 'error'), ...so.env },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping = false;
  let ready = false;
  // A child that dies mid-run says so in the bench's output (its own last words are on the shared stderr above).
  child.once('exit', (code, signal) => {
    if (ready && !stopping) process.stderr.write(`bench: ${role} (pid ${child.pid}) exited unexpectedly (code ${code}, signal ${signal})\n`);
  });
  const stop = async (graceMs = 15_000) => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    if (child.connected) child.send({ type: 'stop' });
    else child.kill('SIGTERM');
    await exited;
    clearTimeout(timer);
  };
  return new Promise<BenchChild>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bench ${role} did not start within ${so.startTimeoutMs ?? 120_000} ms`));
    }, so.startTimeoutMs ?? 120_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`bench ${role} exited before it was ready (code ${code}, signal ${signal})`));
    });
    child.on('message', (m: { type?: string; info?: Record<string, unknown>; error?: string }) => {
      if (m?.type === 'ready') {
        clearTimeout(timer);
        ready = true;
        resolve({ role, child, pid: child.pid!, info: m.info ?? {}, stop, stats: () => askStats(child), control: (body, timeoutMs) => askControl(child, role, body, timeoutMs) });
      } else if (m?.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`bench ${role} failed to start: ${m.error}`));
      }
    });
  });
}

function askStats(child: ChildProcess): Promise<ChildStats | undefined> {
  if (!child.connected) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), 5000);
    const onMessage = (m: { type?: string } & Partial<ChildStats>) => {
      if (m?.type === 'stats' && m.eventLoopDelayMs) done({ eventLoopDelayMs: m.eventLoopDelayMs, report: m.report });
    };
    const done = (v: ChildStats | undefined) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(v);
    };
    child.on('message', onMessage);
    child.send({ type: 'stats' });
  });
}

function askControl(child: ChildProcess, role: BenchRole, body: unknown, timeoutMs = 120_000): Promise<void> {
  if (!child.connected) return Promise.reject(new Error(`bench ${role} is gone`));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`bench ${role} did not carry out ${JSON.stringify(body)} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: { type?: string; error?: string }) => {
      if (m?.type === 'control-done') done(m.error ? new Error(`bench ${role}: ${m.error}`) : undefined);
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      if (err) reject(err);
      else resolve();
    };
    child.on('message', onMessage);
    child.send({ type: 'control', body });
  });
}
