// What a pod asks of a minion: cpu, memory and host ports. Per container `resources.requests`, falling
// back to `limits` (the seed only had limits: `cpu`, `memory` on the container).
import { parseCpu, parseMemory, type Pod } from '@coxswain/objects';

export interface PodResources {
  milliCpu: number;
  memory: number;
  /** "6380" for TCP, "53/UDP" otherwise: the form failure messages use too. */
  hostPorts: string[];
}

export function hostPortKey(port: number, protocol: string | undefined): string {
  return !protocol || protocol === 'TCP' ? String(port) : `${port}/${protocol}`;
}

export function podResources(pod: Pod): PodResources {
  let cpu = 0;
  let memory = 0;
  const hostPorts: string[] = [];
  for (const c of pod.spec.containers ?? []) {
    const r = c.resources;
    const c1 = r?.requests?.cpu ?? r?.limits?.cpu;
    const m1 = r?.requests?.memory ?? r?.limits?.memory;
    // Validation at the store boundary rejects malformed quantities; a stray one counts as nothing.
    if (c1) cpu += safe(() => parseCpu(c1));
    if (m1) memory += safe(() => parseMemory(m1));
    for (const p of c.ports ?? []) if (p.hostPort) hostPorts.push(hostPortKey(p.hostPort, p.protocol));
  }
  return { milliCpu: cpu, memory, hostPorts };
}

/** A pod that has finished no longer holds resources on its minion. */
export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** The uid of the controller that owns the object (ownerReference with controller=true), if any. */
export function controllerUid(obj: { metadata: { ownerReferences?: { uid: string; controller?: boolean }[] } }): string | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller)?.uid;
}

function safe(f: () => number): number {
  try {
    return f();
  } catch {
    return 0;
  }
}
