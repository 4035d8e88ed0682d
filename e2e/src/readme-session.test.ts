// The README's first five minutes, as a new user lives them: `./scripts/up.sh` on this machine (real
// etcd, real Docker), then the README's "Try" block and the talk's session, each line taken from
// README.md and run by bash exactly as printed (so the README and this test cannot drift). The only
// difference from a person's terminal is where things live: the CLI config (COXSWAIN_CONFIG), the data
// dir (COXSWAIN_DATA_DIR) and the ports are the test's own; the lines themselves are unchanged.
//
// A line that only reads (`kubecfg list/get/describe`, `curl`) is run again until it shows what a user
// waits for — every pod Running, the stored message — as a person re-runs it; every other line runs
// once and must succeed. Then what the user would check: every pod Running, the guestbook page on
// every minion's host port 8000, the message read back through every frontend; and after the README's
// `npx coxswain down`, nothing left: no process, no container, no network.
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiClient } from '@coxswain/client';
import { TRY_COMMANDS } from '@coxswain/coxswain';
import { eventually } from '@coxswain/testing';
import type { Event, Pod } from '@coxswain/objects';
import { ROOT } from './support/coxswain-binary';
import { processesNaming } from './support/process-leftovers';
import { listMinionLeftovers, refuseMinionLeftovers } from './support/cluster-teardown';
import { GuestbookClient } from './support/guestbook-client';
import { lockLocalMinions } from './support/local-minions-lock';

jest.setTimeout(180_000);

// Ports no other suite uses (the guestbook suite has 18380/12579/18351).
const API_PORT = 18480;
const ETCD_PORT = 12679;
const HEALTHZ_PORT = 18451;
const MINIONS = ['minion-1', 'minion-2', 'minion-3'];
const ADDRESSES = ['127.0.1.1', '127.0.1.2', '127.0.1.3'];

/** The indented code block after `<!-- readme-session: NAME -->` in README.md, one command a line. */
function readmeBlock(readme: string, name: string): string[] {
  const marker = `<!-- readme-session: ${name} -->`;
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no ${marker}`);
  const lines = readme.slice(at + marker.length).split('\n');
  let i = 0;
  while (i < lines.length && lines[i].trim() === '') i++;
  const block: string[] = [];
  for (; i < lines.length && lines[i].startsWith('    '); i++) block.push(lines[i].trim());
  if (!block.length) throw new Error(`README.md: no indented block after ${marker}`);
  return block;
}

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const TRY = readmeBlock(README, 'try');
const TALK = readmeBlock(README, 'talk');

let tmp: string;
let env: NodeJS.ProcessEnv;
let up: ChildProcess | undefined;
let upOutput = '';
let upExit: Promise<number | null>;
let unlock: (() => void) | undefined;
let api: ApiClient;
let startedAt = 0;
const timings: string[] = [];
const since = (t: number) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

interface Run {
  code: number;
  out: string;
}

/** One README line through bash, as a user's shell runs it. */
function shell(line: string, timeoutMs = 150_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', line], { cwd: ROOT, env, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: stdout + stderr });
    });
  });
}

const readOnly = (line: string) => /^curl /.test(line) || /^npx kubecfg (list|get|describe) /.test(line);

/** The rows of a seed table (after the header and its ---------- row). */
const rows = (out: string) => out.trim().split('\n').slice(2).filter((l) => l.trim());

/** The state the line's output must show, as a user reads it; undefined when it does. */
function problemWith(line: string, out: string, state: { desired?: number; value?: string }): string | undefined {
  if (/kubecfg list minions$/.test(line)) {
    const ready = rows(out).filter((r) => /^minion-\d\s+127\.0\.1\.\d\s.*\bReady\b/.test(r));
    return ready.length === MINIONS.length ? undefined : `expected ${MINIONS.length} Ready minions`;
  }
  if (/kubecfg -c \S+redis-master\.json create pods$/.test(line)) return /redis-master-2\s+dockerfile\/redis\s/.test(out) ? undefined : 'expected redis-master-2 on dockerfile/redis';
  if (/kubecfg list pods$/.test(line)) {
    const r = rows(out);
    return r.length > 0 && r.every((row) => /\sRunning$/.test(row)) ? undefined : 'expected every pod Running';
  }
  if (/kubecfg resize frontendController \d+$/.test(line)) {
    state.desired = Number(/(\d+)$/.exec(line)![1]);
    return new RegExp(`frontendController\\s.*\\s${state.desired}\\s*$`, 'm').test(out) ? undefined : `expected ${state.desired} replicas`;
  }
  if (/kubecfg describe rc frontendController$/.test(line) && state.desired !== undefined) {
    // Three minions have three host ports 8000: the rest stay Pending.
    const running = Math.min(state.desired, MINIONS.length);
    const want = [`${running} Running`, ...(state.desired > running ? [`${state.desired - running} Pending`] : [])];
    const status = /^Pods Status:\s*(.*)$/m.exec(out)?.[1] ?? '';
    return want.every((w) => status.split(' / ').includes(w)) && status.split(' / ').length === want.length ? undefined : `expected Pods Status ${want.join(' / ')}, got "${status}"`;
  }
  if (/^curl .*cmd=set/.test(line)) {
    state.value = new URL(`http://${/'([^']+)'/.exec(line)![1]}`).searchParams.get('value') ?? undefined;
    return /"message":"Updated"/.test(out) ? undefined : 'expected the guestbook to answer "Updated"';
  }
  if (/^curl .*cmd=get/.test(line)) return state.value && out.includes(JSON.stringify(state.value)) ? undefined : `expected the stored message ${JSON.stringify(state.value)}`;
  if (/coxswain down$/.test(line)) return /Coxswain is down/.test(out) ? undefined : 'expected "Coxswain is down."';
  return undefined;
}

/** Runs README lines in order; a read-only line is re-run until it shows its state (90 s at most). */
async function runLines(lines: string[], state: { desired?: number; value?: string }): Promise<void> {
  for (const line of lines) {
    const t = Date.now();
    let last: Run | undefined;
    let problem: string | undefined;
    for (;;) {
      last = await shell(line);
      problem = last.code === 0 ? problemWith(line, last.out, state) : `exit code ${last.code}`;
      if (!problem || !readOnly(line) || Date.now() - t > 90_000) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (problem) throw new Error(`README line \`${line}\`: ${problem}; it printed:\n${last.out}\n(logs in ${path.join(tmp, 'data', 'logs')})`);
    if (/cmd=set/.test(line)) timings.push(`guestbook stored a message ${since(startedAt)} after ./scripts/up.sh started`);
  }
}

/** Processes whose command line names this test's data dir or etcd port (what `up` started). */
function leftoverProcesses(): string[] {
  return processesNaming([path.join(tmp, 'data'), `127.0.0.1:${ETCD_PORT}`]);
}

beforeAll(async () => {
  unlock = await lockLocalMinions();
  await refuseMinionLeftovers(MINIONS);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'coxswain-readme-'));
  env = { ...process.env, COXSWAIN_CONFIG: path.join(tmp, 'config.json'), COXSWAIN_DATA_DIR: path.join(tmp, 'data'), COXSWAIN_LOG_LEVEL: 'info' };
  // The components log to their files; under jest the logger would be silent.
  delete env.JEST_WORKER_ID;
  delete env.KUBE_SERVER;
  delete env.KUBE_TOKEN;

  startedAt = Date.now();
  up = spawn('bash', ['scripts/up.sh', '--port', String(API_PORT), '--etcd-port', String(ETCD_PORT), '--healthz-port', String(HEALTHZ_PORT)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  upExit = new Promise((resolve) => up!.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`./scripts/up.sh did not print "Coxswain is up" in 170 s:\n${upOutput}`)), 170_000);
    const read = (c: Buffer) => {
      upOutput += c.toString();
      if (upOutput.includes('Coxswain is up')) {
        clearTimeout(timer);
        resolve();
      }
    };
    up!.stdout!.on('data', read);
    up!.stderr!.on('data', read);
    void upExit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`./scripts/up.sh exited (${code}) before the cluster was up:\n${upOutput}`));
    });
  });
  timings.push(`./scripts/up.sh printed "Coxswain is up" after ${since(startedAt)}`);
  api = new ApiClient({ server: `http://127.0.0.1:${API_PORT}`, version: 'v1', timeoutMs: 10_000 });
}, 11 * 60_000);

afterAll(async () => {
  try {
    if (up && up.exitCode === null && up.signalCode === null) {
      // The README's own `down` did not run (a step failed): stop it the same way.
      await shell(`node packages/coxswain/dist/main.js down --data-dir ${path.join(tmp, 'data')}`, 120_000);
      await upExit;
    }
  } finally {
    unlock?.();
    console.log(timings.join('\n'));
  }
  if (tmp && !process.env.COXSWAIN_E2E_KEEP && leftoverProcesses().length === 0) rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`readme session: logs kept in ${path.join(tmp, 'data', 'logs')}`);
});

describe('the README on a fresh ./scripts/up.sh', () => {
  const state: { desired?: number; value?: string } = {};

  it('up prints a line per component, the summary and the README\'s Try block, and no JSON', () => {
    const out = upOutput.split('\n');
    for (const c of ['images', 'etcd', 'apiserver', 'scheduler', 'replication', 'endpoints', 'minion-controller', 'deployments', ...MINIONS]) {
      expect(out.some((l) => new RegExp(`^  ✓ ${c}\\s`).test(l))).toBe(true);
    }
    expect(upOutput).toMatch(/dockerfile\/redis, brendanburns\/redis-slave, brendanburns\/php-redis|brendanburns\/php-redis.*dockerfile\/redis/);
    expect(out.filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
    const tryAt = out.indexOf('Try:');
    const printed = out.slice(tryAt + 1).filter((l) => l.startsWith('    ')).map((l) => l.trim());
    expect(printed).toEqual(TRY);
    expect(TRY).toEqual(TRY_COMMANDS);
    expect(upOutput).toContain(`Logs: ${path.join(tmp, 'data', 'logs')}`);
  });

  it('runs the Try block as printed: three Ready minions, redis-master-2 Running on dockerfile/redis', async () => {
    await runLines(TRY, state);
    // The slide's image is the local build: nothing was pulled (IfNotPresent; see docs/decisions.md).
    const events = (await api.list<Event>('events')).items;
    expect(events.filter((e) => e.reason === 'Pulling' || /failed to pull/i.test(e.message ?? '')).map((e) => e.message)).toEqual([]);
  });

  it("runs the talk's session as printed: every pod Running, the guestbook stores a message", async () => {
    const session = TALK.filter((l) => !/coxswain down$/.test(l));
    await runLines(session, state);
    expect(state.value).toBeTruthy();

    // What the user checks: every pod Running, the page on each minion, the message on each frontend.
    const pods = (await api.list<Pod>('pods')).items;
    expect(pods.map((p) => `${p.metadata.labels?.name}:${p.status?.phase}`).sort()).toEqual(
      ['frontend', 'frontend', 'frontend', 'redis-master', 'redisslave', 'redisslave'].map((n) => `${n}:Running`),
    );
    for (const address of ADDRESSES) {
      const gb = new GuestbookClient(`${address}:8000`);
      expect(await gb.page()).toContain('Guestbook');
      await eventually(async () => (await gb.read()).messages.includes(state.value!), 30_000, `the message on ${address}:8000`, 250);
    }
  });

  it('the README\'s `npx coxswain down` stops everything: no process, container or network left', async () => {
    const down = TALK.filter((l) => /coxswain down$/.test(l));
    expect(down).toHaveLength(1);
    await runLines(down, state);
    expect(await upExit).toBe(0);
    expect(upOutput).toMatch(/Coxswain is down/);
    expect(leftoverProcesses()).toEqual([]);
    expect(await listMinionLeftovers(MINIONS)).toEqual({ containers: [], networks: [] });
  });
});
