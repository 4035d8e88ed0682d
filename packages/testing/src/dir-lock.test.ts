import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lockMachineWide } from './dir-lock';

const name = (what: string) => `coxswain-dir-lock-test-${process.pid}-${what}`;
const lockDir = (what: string) => path.join(os.tmpdir(), name(what));

describe('lockMachineWide', () => {
  it('makes another taker wait while held, naming the holder when it gives up; free again on release', async () => {
    const release = await lockMachineWide(name('held'), 'the thing');
    await expect(lockMachineWide(name('held'), 'the thing', 600)).rejects.toThrow(
      `another test process (pid ${process.pid}) holds the thing (lock ${lockDir('held')})`,
    );
    release();
    const again = await lockMachineWide(name('held'), 'the thing', 600);
    again();
    expect(existsSync(lockDir('held'))).toBe(false);
  });

  it('takes over a lock whose holder died', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    mkdirSync(lockDir('dead'));
    writeFileSync(path.join(lockDir('dead'), 'pid'), String(dead));
    const release = await lockMachineWide(name('dead'), 'the thing', 5_000);
    expect(readFileSync(path.join(lockDir('dead'), 'pid'), 'utf8')).toBe(String(process.pid));
    release();
  });

  it('releases once: a second release leaves the next holder\'s lock alone', async () => {
    const release = await lockMachineWide(name('twice'), 'the thing');
    release();
    const next = await lockMachineWide(name('twice'), 'the thing', 600);
    release();
    expect(existsSync(lockDir('twice'))).toBe(true);
    next();
  });
});
