// The Endpoints of a service, from its selector and pods: pure, so the rules are tested without etcd.
// A pod counts once it is bound, Running and has an IP; Ready pods go in `addresses`, the rest in
// `notReadyAddresses` (the proxy sends traffic only to the former). A targetPort given by name is
// looked up in each pod's container ports, so pods with different port numbers form separate subsets.
import type { EndpointAddress, EndpointPort, EndpointSubset, Pod, Service, ServicePort } from '@coxswain/objects';
import { selectorMatches } from './labels';
import { isPodReady } from './replication-plan';

function resolvePort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === (sp.protocol ?? 'TCP')) return p.containerPort;
  }
  return undefined;
}

export function buildSubsets(svc: Service, pods: Iterable<Pod>): EndpointSubset[] {
  // Pods with the same resolved ports share a subset; key the subsets by their port list.
  const subsets = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const pod of pods) {
    if ((pod.metadata.namespace ?? '') !== (svc.metadata.namespace ?? '')) continue;
    if (!selectorMatches(svc.spec.selector, pod.metadata.labels)) continue;
    if (!pod.spec.nodeName || !pod.status?.podIP || pod.status.phase !== 'Running') continue;
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec.ports) {
      const port = resolvePort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) ep.name = sp.name;
      ports.push(ep);
    }
    if (ports.length === 0) continue;
    const key = JSON.stringify(ports);
    let s = subsets.get(key);
    if (!s) subsets.set(key, (s = { ports, ready: [], notReady: [] }));
    const addr: EndpointAddress = {
      ip: pod.status.podIP,
      nodeName: pod.spec.nodeName,
      targetRef: { kind: 'Pod', name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
    };
    (isPodReady(pod) ? s.ready : s.notReady).push(addr);
  }
  // Sorted, so that an unchanged set of pods gives an identical object and no write.
  const byIp = (a: EndpointAddress, b: EndpointAddress) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.targetRef!.name < b.targetRef!.name ? -1 : 1);
  return [...subsets.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, s]) => {
      const out: EndpointSubset = { ports: s.ports };
      if (s.ready.length) out.addresses = s.ready.sort(byIp);
      if (s.notReady.length) out.notReadyAddresses = s.notReady.sort(byIp);
      return out;
    });
}
