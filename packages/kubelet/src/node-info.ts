// What a minion says of its host, as Kubernetes' nodeInfo does (`kubectl get nodes -o wide`): the
// kubelet's version (the API level it serves, as /version says), the OS image, kernel and
// architecture, and the container runtime's kind.
import { readFileSync } from 'node:fs';
import * as os from 'node:os';

export const KUBELET_VERSION = 'v1.32.0+coxswain.0.1.0';

/** PRETTY_NAME of /etc/os-release, or the OS type where there is none. */
function osImage(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1]!;
  } catch {
    /* not Linux, or no os-release */
  }
  return os.type();
}

export function nodeInfo(runtime: string): { kubeletVersion: string; osImage: string; kernelVersion: string; operatingSystem: string; architecture: string; containerRuntimeVersion: string } {
  return {
    kubeletVersion: KUBELET_VERSION,
    osImage: osImage(),
    kernelVersion: os.release(),
    operatingSystem: process.platform,
    architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    containerRuntimeVersion: runtime,
  };
}
