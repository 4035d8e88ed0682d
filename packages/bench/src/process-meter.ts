// What a process costs, read from /proc/<pid>/stat (utime + stime, in clock ticks) and
// /proc/<pid>/status (VmRSS now, VmHWM the peak). Works for any process (etcd included), not only
// node children. Linux only: elsewhere every reading is undefined.
import { execFileSync } from 'child_process';
import * as fs from 'fs';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface ProcessReading {
  /** User + system CPU seconds since the process started. */
  cpuSeconds: number;
  rssBytes: number;
  peakRssBytes: number;
}

export function readProcess(pid: number): ProcessReading | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { cpuSeconds: (utime + stime) / clockTicks(), rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Follows named processes: CPU seconds between marks, and the peak RSS seen (sampled + VmHWM). */
export class ProcessMeter {
  private readonly procs = new Map<string, { pid: number; first?: ProcessReading; last?: ProcessReading; peak: number }>();
  private timer?: NodeJS.Timeout;

  add(name: string, pid: number): void {
    const first = readProcess(pid);
    this.procs.set(name, { pid, first, last: first, peak: first?.peakRssBytes ?? 0 });
  }

  /** Samples every `ms` (peak RSS survives a process that exits before the end). */
  start(ms = 1000): void {
    this.timer = setInterval(() => this.sample(), ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sample();
  }

  sample(): void {
    for (const p of this.procs.values()) {
      const r = readProcess(p.pid);
      if (!r) continue;
      p.last = r;
      p.peak = Math.max(p.peak, r.peakRssBytes, r.rssBytes);
    }
  }

  /** CPU seconds of each process so far (since it was added). */
  cpu(): Record<string, number> {
    this.sample();
    const out: Record<string, number> = {};
    for (const [name, p] of this.procs) out[name] = (p.last?.cpuSeconds ?? 0) - (p.first?.cpuSeconds ?? 0);
    return out;
  }

  /** Per-process summary: CPU seconds since added, the peak and current RSS in bytes. */
  summary(): Record<string, { pid: number; cpuSeconds: number; peakRssBytes: number; rssBytes: number }> {
    this.sample();
    const out: Record<string, { pid: number; cpuSeconds: number; peakRssBytes: number; rssBytes: number }> = {};
    for (const [name, p] of this.procs) {
      out[name] = { pid: p.pid, cpuSeconds: (p.last?.cpuSeconds ?? 0) - (p.first?.cpuSeconds ?? 0), peakRssBytes: p.peak, rssBytes: p.last?.rssBytes ?? 0 };
    }
    return out;
  }
}

/** CPU seconds used by the processes `pids` while `fn` ran, with the wall time, as a fraction of one core. */
export async function coresUsed(pids: number | number[], fn: () => Promise<unknown>): Promise<{ cpuSeconds: number; wallSeconds: number; cores: number }> {
  const list = Array.isArray(pids) ? pids : [pids];
  const total = () => list.reduce((sum, pid) => sum + (readProcess(pid)?.cpuSeconds ?? 0), 0);
  const before = total();
  const t0 = process.hrtime.bigint();
  await fn();
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuSeconds = total() - before;
  return { cpuSeconds, wallSeconds, cores: cpuSeconds / wallSeconds };
}

/** The pid of a process whose command line contains `needle` (e.g. etcd's data dir), if any. */
export function findPid(needle: string): number | undefined {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(needle)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}
