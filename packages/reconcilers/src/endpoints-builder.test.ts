import { buildSubsets } from './endpoints-builder';
import { pod, service } from './testing/fixtures';

const sel = { app: 'web' };

describe('buildSubsets', () => {
  it('lists Running pods by IP and numeric targetPort, ready and not ready apart', () => {
    const svc = service('web', sel, [{ port: 80, targetPort: 8080 }]);
    const subsets = buildSubsets(svc, [
      pod('b', { labels: sel, nodeName: 'm1', podIP: '10.0.0.2', ready: true }),
      pod('a', { labels: sel, nodeName: 'm2', podIP: '10.0.0.1', ready: false }),
      pod('pending', { labels: sel, nodeName: 'm2', podIP: '10.0.0.3', phase: 'Pending' }),
      pod('no-ip', { labels: sel, nodeName: 'm2', ready: true }),
      pod('other', { labels: { app: 'db' }, nodeName: 'm2', podIP: '10.0.0.4', ready: true }),
    ]);
    expect(subsets).toEqual([
      {
        ports: [{ port: 8080, protocol: 'TCP' }],
        addresses: [{ ip: '10.0.0.2', nodeName: 'm1', targetRef: { kind: 'Pod', name: 'b', namespace: 'default', uid: 'uid-b' } }],
        notReadyAddresses: [{ ip: '10.0.0.1', nodeName: 'm2', targetRef: { kind: 'Pod', name: 'a', namespace: 'default', uid: 'uid-a' } }],
      },
    ]);
  });

  it('resolves a named targetPort per pod, grouping pods by the resulting ports', () => {
    const svc = service('web', sel, [{ name: 'http', port: 80, targetPort: 'http' }]);
    const subsets = buildSubsets(svc, [
      pod('a', { labels: sel, nodeName: 'm', podIP: '10.0.0.1', ready: true, ports: [{ name: 'http', containerPort: 8080 }] }),
      pod('b', { labels: sel, nodeName: 'm', podIP: '10.0.0.2', ready: true, ports: [{ name: 'http', containerPort: 9090 }] }),
      pod('c', { labels: sel, nodeName: 'm', podIP: '10.0.0.3', ready: true, ports: [{ name: 'other', containerPort: 1 }] }),
    ]);
    expect(subsets.map((s) => [s.ports, s.addresses!.map((a) => a.ip)])).toEqual([
      [[{ name: 'http', port: 8080, protocol: 'TCP' }], ['10.0.0.1']],
      [[{ name: 'http', port: 9090, protocol: 'TCP' }], ['10.0.0.2']],
    ]);
  });

  it('defaults targetPort to the service port and gives nothing for a service without selector', () => {
    expect(buildSubsets(service('s', sel, [{ port: 6379 }]), [pod('a', { labels: sel, nodeName: 'm', podIP: '1.1.1.1', ready: true })])[0].ports).toEqual([
      { port: 6379, protocol: 'TCP' },
    ]);
    expect(buildSubsets(service('s', {}), [pod('a', { labels: sel, nodeName: 'm', podIP: '1.1.1.1', ready: true })])).toEqual([]);
  });
});
