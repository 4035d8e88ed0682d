// The suites that run a local cluster's minions (minion-1..3 on 127.0.1.1..3 with the guestbook's host
// ports 8000, 6379, 6380) take this lock, so two of them never run those minions at the same time on
// one machine. A lock whose holder died is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const LOCK_DIR = path.join(os.tmpdir(), 'coxswain-e2e-local-minions.lock');

function holder(): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(LOCK_DIR, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Waits (polling) until this process holds the lock; resolves to its release. */
export async function lockLocalMinions(timeoutMs = 10 * 60_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
      return () => rmSync(LOCK_DIR, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = holder();
    // No live holder: it died, or is between mkdir and writing its pid; look again after a moment.
    if (pid === undefined) {
      await new Promise((r) => setTimeout(r, 500));
      if (holder() === undefined) rmSync(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another test process (pid ${pid}) runs the local minions (lock ${LOCK_DIR})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
