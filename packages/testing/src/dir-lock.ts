// A machine-wide lock between test processes: a directory (mkdir is atomic) holding the holder's pid.
// Suites that use one machine-wide resource (the local minions' addresses and ports, the simulated
// hosts' namespaces and bridge) take one, so two of them never tear down each other's. A lock whose
// holder died is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

function holder(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dir, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * Waits (polling) until this process holds the lock named `name` (a directory in the temp dir);
 * resolves to its release. `what` names the resource in the timeout's error.
 */
export async function lockMachineWide(name: string, what: string, timeoutMs = 10 * 60_000): Promise<() => void> {
  const dir = path.join(os.tmpdir(), name);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'pid'), String(process.pid));
      let held = true;
      // Once only: a second call must not remove a lock another process took meanwhile.
      return () => {
        if (held) rmSync(dir, { recursive: true, force: true });
        held = false;
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = holder(dir);
    // No live holder: it died, or is between mkdir and writing its pid; look again after a moment.
    if (pid === undefined) {
      await new Promise((r) => setTimeout(r, 500));
      if (holder(dir) === undefined) rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another test process (pid ${pid}) holds ${what} (lock ${dir})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
