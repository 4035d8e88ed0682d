// A component that dies is started again; stop() ends it for good.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SupervisedProcess } from './supervisor';

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SupervisedProcess', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coxswain-supervisor-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('restarts a component that is killed, and stop() ends it', async () => {
    const proc = new SupervisedProcess({
      name: 'sleeper',
      command: process.execPath,
      args: ['-e', 'console.log("up", process.pid); setInterval(() => {}, 1000)'],
      logFile: join(dir, 'sleeper.log'),
      stopGraceMs: 2000,
    });
    proc.start();
    const first = proc.pid;
    expect(first).toBeDefined();
    const log = join(dir, 'sleeper.log');
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes(`up ${first}`), 5000);
    proc.kill('SIGKILL');
    await waitFor(() => proc.pid !== undefined && proc.pid !== first, 5000);
    expect(proc.restartCount).toBe(1);
    const second = proc.pid!;
    await proc.stop();
    expect(() => process.kill(second, 0)).toThrow();
    await new Promise((r) => setTimeout(r, 1500));
    expect(proc.restartCount).toBe(1);
  });
});
