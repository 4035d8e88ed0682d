// A proxy asked to serve portal IPs on a machine without iptables stops at start-up with an error
// naming what is missing, before it routes or listens anything.
import type { Minion } from '@coxswain/objects';
import { memoryRegistry } from '@coxswain/testing';
import { runProxy } from './run-proxy';

it('refuses to start without iptables, naming the binary', async () => {
  const store = memoryRegistry();
  await store.create<Minion>({
    apiVersion: 'v1',
    kind: 'Minion',
    metadata: { name: 'm1' },
    spec: { podCIDR: '172.30.1.0/24' },
    status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], serviceAddress: '127.0.0.1' },
  } as Minion);
  await expect(runProxy({ minion: 'm1', store, portalNet: '172.30.0.0/24', iptables: '/nonexistent/iptables', healthzPort: 0 })).rejects.toThrow(
    'portal IPs need iptables: /nonexistent/iptables not found (apt-get install iptables)',
  );
});
