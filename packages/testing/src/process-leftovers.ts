// Processes a run left behind (a `coxswain up`, simulated hosts): those whose command line names
// something only that run used (its data dir, its etcd port). Read from /proc, so it sees children of
// any process group.
import { readdirSync, readFileSync } from 'node:fs';

/** `pid: command line` of every other process whose command line contains one of `marks`. */
export function processesNaming(marks: readonly string[]): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (Number(pid) !== process.pid && marks.some((m) => cmd.includes(m))) found.push(`${pid}: ${cmd.slice(0, 120)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
