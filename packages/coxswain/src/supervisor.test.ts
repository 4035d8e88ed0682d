// A component that dies is started again after its backoff; stop() ends it for good.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, FakeClock } from '@coxswain/testing';
import { SupervisedProcess } from './supervisor';

describe('SupervisedProcess', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coxswain-supervisor-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('restarts a component that is killed once its backoff has passed, and stop() ends it', async () => {
    const clock = new FakeClock();
    const proc = new SupervisedProcess(
      {
        name: 'sleeper',
        command: process.execPath,
        args: ['-e', 'console.log("up", process.pid); setInterval(() => {}, 1000)'],
        logFile: join(dir, 'sleeper.log'),
        stopGraceMs: 2000,
      },
      { clock },
    );
    proc.start();
    const first = proc.pid;
    expect(first).toBeDefined();
    const log = join(dir, 'sleeper.log');
    await eventually(() => existsSync(log) && readFileSync(log, 'utf8').includes(`up ${first}`), 5000, 'the first run to log');
    proc.kill('SIGKILL');
    await eventually(() => clock.pending() === 1, 5000, 'the restart to be scheduled');
    expect(proc.pid).toBeUndefined(); // not before the backoff (500 ms, up to 20% more)
    await clock.advance(600);
    await eventually(() => proc.pid !== undefined && proc.pid !== first, 5000, 'the restart');
    expect(proc.restartCount).toBe(1);
    const second = proc.pid!;
    await proc.stop();
    expect(() => process.kill(second, 0)).toThrow();
    // The exit handler has run (stop() waited for the exit) and scheduled nothing; time passing changes nothing.
    expect(clock.pending()).toBe(0);
    await clock.advance(60_000);
    expect(proc.restartCount).toBe(1);
    expect(proc.pid).toBeUndefined();
  });
});
