// The kubelet's own attach of a pod sandbox to its minion's bridge, as a CNI bridge plugin does it:
// the sandbox starts without a network (`--network none`), then a veth pair is made with one end in
// the sandbox's namespace (eth0, an address of the pod CIDR, the default route via the gateway) and
// the other on the bridge of the minion's Docker network. Docker's own attach to a user-defined
// network also sets up its embedded DNS server inside the container (dockerd re-executes itself and
// runs iptables 10 times: ~170 ms of a ~620 ms start on a quiet machine, docs/benchmarks.md), and
// pods have no use for it.
//
// The pod CIDR is shared with Docker: a sandbox with host ports still goes through Docker, which
// publishes them. So Docker's IPAM keeps the last quarter of the subnet (the network's IPRange) and
// the kubelet gives the addresses below it. Each sandbox carries its address in a label: the
// addresses in use are read from the engine, with nothing to rebuild after a restart.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { hostAddress, parseCidr } from './cidr';

/** On a sandbox attached by the kubelet: its address, and the network whose bridge it is on. */
export const ATTACH_LABELS = {
  address: 'coxswain.pod.address',
  network: 'coxswain.pod.network',
} as const;

/** The part of a pod CIDR left to Docker's IPAM: its last quarter. Undefined for a subnet smaller than /28. */
export function dockerRangeOf(subnet: string): string | undefined {
  const { bits } = parseCidr(subnet);
  if (bits > 28) return undefined;
  const size = 2 ** (32 - bits);
  return `${hostAddress(subnet, (size / 4) * 3)}/${bits + 2}`;
}

/**
 * The lowest address the kubelet may give that is not in `used`: from the one after the gateway up
 * to Docker's range. Undefined when none is free.
 */
export function freeAddress(subnet: string, used: ReadonlySet<string>): string | undefined {
  const size = 2 ** (32 - parseCidr(subnet).bits);
  for (let n = 2; n < (size / 4) * 3; n++) {
    const address = hostAddress(subnet, n);
    if (!used.has(address)) return address;
  }
  return undefined;
}

export interface VethAttachment {
  /** The sandbox's process, whose network namespace gets eth0. */
  pid: number;
  /** The Linux bridge of the minion's network. */
  bridge: string;
  /** The host end's name (at most 15 characters). */
  hostInterface: string;
  address: string;
  prefixLength: number;
  gateway: string;
}

/**
 * Makes the veth pair, puts its host end on the bridge and configures the sandbox's end (inside its
 * namespace). Two process starts, ~10 ms each on the bench machine: most of the attach's cost.
 */
export async function attachVeth(a: VethAttachment): Promise<void> {
  const peer = `peer name eth0 address ${macOf(a.address)} netns ${a.pid}`;
  await run('ip', ['-batch', '-'], [`link add ${a.hostInterface} type veth ${peer}`, `link set ${a.hostInterface} master ${a.bridge} up`]);
  await run('nsenter', ['-t', String(a.pid), '-n', 'ip', '-batch', '-'], [
    `addr add ${a.address}/${a.prefixLength} dev eth0`,
    'link set eth0 up',
    `route add default via ${a.gateway}`,
  ]);
}

/**
 * The sandbox's MAC address, made from its IPv4 address as Docker makes it (02:42 and the four
 * bytes): an address given again to a new pod comes with the same MAC, so the neighbour entries the
 * host and other pods keep for it stay right, instead of pointing at the old pod's for a while.
 */
export function macOf(address: string): string {
  return ['02', '42', ...address.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}

/**
 * Whether this process can attach sandboxes to `bridge`: it runs as root, in the network namespace
 * where the bridge is (the engine's), which `ip` shows.
 */
export async function bridgeIsHere(bridge: string): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  return run('ip', ['-o', 'link', 'show', 'dev', bridge], []).then(
    () => true,
    () => false,
  );
}

/**
 * Whether `pid` (the engine's answer for a container's process) is that container's process in this
 * process's PID namespace: an engine in another one (in a container itself) gives pids that name
 * other processes here, whose network must not be touched.
 */
export async function isProcessOf(pid: number, containerId: string): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  return cgroup.includes(containerId);
}

/** Runs a command with `lines` on its stdin; rejects with its stderr when it fails. */
function run(command: string, args: string[], lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')}: exit ${code}: ${stderr.trim() || 'no message'}`));
    });
    child.stdin.on('error', () => undefined); // a command that exits early: its exit code says why
    child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  });
}
