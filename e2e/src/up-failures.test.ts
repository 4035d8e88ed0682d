// `coxswain up` (the built binary, as a user runs it) when something is in the way: a port taken, no
// Docker engine, a data dir it cannot write, a component that does not start. Each says what in one
// line (or names the component with the end of its log), exits non-zero, and leaves nothing running.
// No minions (--minions 0, --runtime memory) except where Docker is the point, so the suite needs none
// of 127.0.1.N; its ports are its own.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCoxswain, COXSWAIN_MAIN, ROOT } from './support/coxswain-binary';
import { processesNaming } from './support/process-leftovers';

jest.setTimeout(120_000);

const API_PORT = 18580;
const ETCD_PORT = 12779;
const HEALTHZ_PORT = 18551;

let tmp: string;

interface UpResult {
  code: number;
  stdout: string;
  stderr: string;
}

function up(args: string[], env: NodeJS.ProcessEnv = {}): Promise<UpResult> {
  const defaults: Array<[string, string]> = [['--minions', '0'], ['--port', String(API_PORT)], ['--etcd-port', String(ETCD_PORT)], ['--healthz-port', String(HEALTHZ_PORT)]];
  const full = ['up', ...defaults.filter(([flag]) => !args.includes(flag)).flat(), ...args];
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, COXSWAIN_CONFIG: path.join(tmp, 'config.json'), COXSWAIN_LOG_LEVEL: 'info', ...env };
    delete childEnv.JEST_WORKER_ID;
    execFile(process.execPath, [COXSWAIN_MAIN, ...full], { cwd: ROOT, env: childEnv, timeout: 100_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Connections are dropped at once, so close() does not wait for them.
    const s = createServer((c) => c.destroy());
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}
const close = (s: Server) => new Promise((r) => s.close(r));

/** Processes whose command line names this suite's etcd port or temp dir: what an `up` left behind. */
function leftovers(): string[] {
  return processesNaming([`127.0.0.1:${ETCD_PORT}`, tmp]);
}

const lines = (s: string) => s.split('\n').filter((l) => l.trim());

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'coxswain-up-failures-'));
  await buildCoxswain();
}, 300_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

afterEach(() => expect(leftovers()).toEqual([]));

describe('coxswain up refuses to start, in one line each, with nothing started', () => {
  it('when the API port (8080 by default) is taken', async () => {
    const s = await listen(API_PORT);
    try {
      const r = await up(['--runtime', 'memory', '--data-dir', path.join(tmp, 'a')]);
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([`coxswain up: port ${API_PORT} on 127.0.0.1 (API server) is already in use by node (pid ${process.pid}): stop that process or choose another port with --port`]);
      expect(r.stdout).toBe('');
    } finally {
      await close(s);
    }
  });

  it('when the etcd port (2379 by default) is taken', async () => {
    const s = await listen(ETCD_PORT);
    try {
      const r = await up(['--runtime', 'memory', '--data-dir', path.join(tmp, 'b')]);
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^coxswain up: port ${ETCD_PORT} on 127\\.0\\.0\\.1 \\(etcd clients\\) is already in use by node .*--etcd-port$`))]);
    } finally {
      await close(s);
    }
  });

  it('when no Docker engine answers (with the docker runtime)', async () => {
    const r = await up(['--data-dir', path.join(tmp, 'c')], { DOCKER_SOCKET: path.join(tmp, 'no-docker.sock') });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^coxswain up: no Docker engine answers at \S+no-docker\.sock: start it with `sudo dockerd &`, or run pods without Docker with --runtime memory$/)]);
  });

  it('when the data dir cannot be written', async () => {
    const file = path.join(tmp, 'a-file');
    writeFileSync(file, '');
    const r = await up(['--runtime', 'memory', '--data-dir', path.join(file, 'cluster')]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`coxswain up: data dir ${path.join(file, 'cluster')} is not writable (a parent is not a directory): choose another with --data-dir DIR`]);
  });

  it('when a flag is out of range', async () => {
    const r = await up(['--runtime', 'memory', '--minions', '300', '--data-dir', path.join(tmp, 'd')]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual(['coxswain: --minions: must be a whole number from 0 to 254, got 300']);
  });
});

describe('coxswain up when a component does not start', () => {
  it("names it with the end of its log, stops what it started, exits 1", async () => {
    // The scheduler's health port is taken: etcd and the API server come up, the scheduler exits.
    const s = await listen(HEALTHZ_PORT);
    const dataDir = path.join(tmp, 'e');
    try {
      const r = await up(['--runtime', 'memory', '--data-dir', dataDir]);
      expect(r.code).toBe(1);
      const out = lines(r.stdout);
      expect(out).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^ {2}✓ etcd\s/),
          expect.stringMatching(/^ {2}✓ apiserver\s/),
          '  ✗ scheduler         exited during start-up (exit code 1)',
          `    last ${out.filter((l) => l.startsWith('      ')).length} line(s) of ${path.join(dataDir, 'logs', 'scheduler.log')}:`,
          expect.stringMatching(new RegExp(`^ {6}.*EADDRINUSE.*${HEALTHZ_PORT}`)),
          'Stopping what was started...',
        ]),
      );
      expect(out.filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
      expect(lines(r.stderr)).toEqual([`coxswain up: scheduler failed to start; nothing is left running. Logs: ${path.join(dataDir, 'logs')}`]);
      // The launcher's own JSON is in its log file.
      expect(readFileSync(path.join(dataDir, 'logs', 'up.log'), 'utf8')).toMatch(/"msg":"start-up failed"/);
    } finally {
      await close(s);
    }
    // The API server and etcd are gone: their ports can be taken again.
    for (const port of [API_PORT, ETCD_PORT]) await close(await listen(port));
  });
});
