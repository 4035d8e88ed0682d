// The minion's own CPU and memory, from the kernel's counters: /proc/stat's first line (CPU time in
// USER_HZ ticks, 100 a second on Linux) and /proc/meminfo.
import { readFile } from 'node:fs/promises';

export interface NodeUsage {
  timestampMs: number;
  /** CPU time spent not idle, all cores, since boot. */
  cpuBusyNanoSeconds: number;
  memoryTotalBytes: number;
  memoryFreeBytes: number;
  memoryAvailableBytes: number;
}

const NS_PER_TICK = 1e9 / 100;

export async function readNodeUsage(): Promise<NodeUsage> {
  const [stat, meminfo] = await Promise.all([readFile('/proc/stat', 'utf8'), readFile('/proc/meminfo', 'utf8')]);
  return parseNodeUsage(stat, meminfo, Date.now());
}

/** `cpu user nice system idle iowait irq softirq steal ...`: busy is all but idle and iowait. */
export function parseNodeUsage(stat: string, meminfo: string, timestampMs: number): NodeUsage {
  const cpu = /^cpu\s+(.*)$/m.exec(stat)?.[1].trim().split(/\s+/).map(Number) ?? [];
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
  return {
    timestampMs,
    cpuBusyNanoSeconds: (user + nice + system + irq + softirq + steal) * NS_PER_TICK,
    memoryTotalBytes: kib('MemTotal'),
    memoryFreeBytes: kib('MemFree'),
    memoryAvailableBytes: kib('MemAvailable'),
  };
}
