// emptyDir `medium: Memory`: a tmpfs the kubelet mounts on the pod's volume directory, on the host.
// Not Docker's per-container --tmpfs: that gives each container its own tmpfs, and the containers
// of a pod must share the volume. Docker bind-mounts the directory into each container as for a
// disk emptyDir, so both see the one tmpfs. Pages written to a tmpfs are charged to the memory
// cgroup of the process that writes them, so the data counts against the writing container's
// memory limit, as in Kubernetes.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Tmpfs {
  /** Mounts a tmpfs of at most `sizeBytes` (none: the kernel's default, half the RAM) on `dir`; nothing if one is there. */
  mount(dir: string, sizeBytes: number | undefined): Promise<void>;
  /** Unmounts every tmpfs this kubelet mounted at or under `dir` (deepest first), so the directory can be removed. */
  unmountUnder(dir: string): Promise<void>;
}

/** The real one: mount(8) and umount(8), as root. */
export class HostTmpfs implements Tmpfs {
  async mount(dir: string, sizeBytes: number | undefined): Promise<void> {
    if (mountPoints().has(fs.realpathSync(dir))) return; // a kubelet restart adopts the pod and its data
    const options = ['nodev', 'nosuid', 'mode=1777', ...(sizeBytes === undefined ? [] : [`size=${sizeBytes}`])];
    await run('mount', ['-t', 'tmpfs', '-o', options.join(','), 'tmpfs', dir]);
  }

  async unmountUnder(dir: string): Promise<void> {
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch {
      return; // no directory, no mount
    }
    const under = [...mountPoints()].filter((m) => m === real || m.startsWith(`${real}/`)).sort((a, b) => b.length - a.length);
    for (const m of under) await run('umount', [m]);
  }
}

/** The memory runtime's: mounts recorded, not performed (unit tests run without root). */
export class RecordedTmpfs implements Tmpfs {
  /** Mounted directory → its size option. */
  readonly mounts = new Map<string, number | undefined>();

  async mount(dir: string, sizeBytes: number | undefined): Promise<void> {
    if (!this.mounts.has(dir)) this.mounts.set(dir, sizeBytes);
  }

  async unmountUnder(dir: string): Promise<void> {
    for (const m of [...this.mounts.keys()]) if (m === dir || m.startsWith(`${dir}/`)) this.mounts.delete(m);
  }
}

/** The tmpfs mount points of this mount namespace (the kubelet's and Docker's are one). */
function mountPoints(): Set<string> {
  const out = new Set<string>();
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // "<id> <parent> <maj:min> <root> <mount point> <options> ... - <fstype> <source> <super options>"
    const [before, after] = line.split(' - ');
    if (!after?.startsWith('tmpfs ')) continue;
    const point = before!.split(' ')[4];
    if (point) out.add(point.replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))));
  }
  return out;
}
