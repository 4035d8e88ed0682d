import type { Pod } from '@coxswain/objects';
import { hostPortsLabel, hostPortsOf, hostPortsOfSandbox, isPortConflict } from './host-ports';
import { LABELS, RuntimeContainer, SANDBOX_NAME } from './runtime';

const pod = (containers: Pod['spec']['containers']): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers } });
const container = (labels: Record<string, string>): RuntimeContainer => ({ id: 'x', name: 'x', image: 'i', labels, state: 'running', createdAt: '' });

describe('host ports', () => {
  it("lists a pod's host ports once each, with the protocol, sorted", () => {
    const p = pod([
      { name: 'a', image: 'i', ports: [{ containerPort: 80, hostPort: 8000 }, { containerPort: 81 }, { containerPort: 53, hostPort: 53, protocol: 'UDP' }] },
      { name: 'b', image: 'i', ports: [{ containerPort: 80, hostPort: 8000, protocol: 'TCP' }] },
    ]);
    expect(hostPortsOf(p)).toEqual(['53/UDP', '8000/TCP']);
    expect(hostPortsOf(pod([{ name: 'a', image: 'i' }]))).toEqual([]);
  });

  it('reads them back from the sandbox label; no label (an older sandbox) is unknown, not none', () => {
    const labels = { [LABELS.container]: SANDBOX_NAME, [LABELS.hostPorts]: hostPortsLabel(['53/UDP', '8000/TCP']) };
    expect(hostPortsOfSandbox(container(labels))).toEqual(['53/UDP', '8000/TCP']);
    expect(hostPortsOfSandbox(container({ ...labels, [LABELS.hostPorts]: '' }))).toEqual([]);
    expect(hostPortsOfSandbox(container({ [LABELS.container]: SANDBOX_NAME }))).toBeUndefined();
    expect(hostPortsOfSandbox(container({ ...labels, [LABELS.container]: 'app' }))).toBeUndefined();
  });

  it("recognises Docker's host port conflicts", () => {
    expect(isPortConflict('Failed to create pod sandbox: Bind for 127.0.1.2:8000 failed: port is already allocated')).toBe(true);
    expect(isPortConflict('listen tcp4 127.0.1.2:8000: bind: address already in use')).toBe(true);
    expect(isPortConflict('No such image: coxswain/pause')).toBe(false);
  });
});
