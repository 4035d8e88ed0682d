// A pod's host ports as its sandbox claims them on the minion ("8000/TCP"), and the sandbox label
// that records them, so the kubelet can tell which ports a terminating pod's sandbox still holds
// without that pod's object (deleted from etcd, or never seen by a kubelet that restarted).
import type { Pod } from '@coxswain/objects';
import { LABELS, RuntimeContainer, SANDBOX_NAME } from './runtime';

/** Every host port the pod's containers ask for, as `<port>/<PROTOCOL>`, sorted, no duplicates. */
export function hostPortsOf(pod: Pod): string[] {
  const out = new Set<string>();
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) if (p.hostPort) out.add(`${p.hostPort}/${p.protocol === 'UDP' ? 'UDP' : 'TCP'}`);
  }
  return [...out].sort();
}

/** The value of the sandbox's host-ports label. */
export function hostPortsLabel(ports: string[]): string {
  return ports.join(',');
}

/** The host ports a sandbox records; undefined when it has no label (made by an older kubelet). */
export function hostPortsOfSandbox(c: RuntimeContainer): string[] | undefined {
  if (c.labels[LABELS.container] !== SANDBOX_NAME) return undefined;
  const v = c.labels[LABELS.hostPorts];
  if (v === undefined) return undefined;
  return v === '' ? [] : v.split(',');
}

/** Whether a runtime error says a host port is taken (Docker: "port is already allocated"). */
export function isPortConflict(message: string): boolean {
  return /port is already allocated|address already in use/i.test(message);
}
