// Endpoints: v1beta1's flat `["ip:port", ...]` <-> subsets. Decoding groups the addresses by port
// (one subset per port); encoding lists every ready address at every port of its subset.
import type { EndpointAddress, EndpointSubset, Endpoints } from '@coxswain/objects';
import { metaFromInternal, metaToInternal, INTERNAL_VERSION } from './meta';
import { compact } from './object-utils';
import type { WireEndpointRef, WireEndpoints } from './wire-types';

/** Splits "ip:port" at the last colon (so an IPv6 address keeps its own). */
export function splitEndpoint(endpoint: string): { ip: string; port: number } {
  const i = endpoint.lastIndexOf(':');
  return { ip: endpoint.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(endpoint.slice(i + 1)) };
}

function joinEndpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function addressOf(ip: string, ref: WireEndpointRef | undefined): EndpointAddress {
  const targetRef = ref?.kind && ref.name ? compact({ kind: ref.kind, name: ref.name, namespace: ref.namespace, uid: ref.uid }) : undefined;
  return compact({ ip, nodeName: ref?.nodeName, targetRef });
}

export function endpointsToInternal(b: WireEndpoints): Endpoints {
  const refs = new Map((b.targetRefs ?? []).map((r) => [r.endpoint, r]));
  const byPort = new Map<number, EndpointSubset>();
  const subsetFor = (port: number): EndpointSubset => {
    let s = byPort.get(port);
    if (!s) {
      s = { ports: [compact({ port, protocol: b.protocol })] };
      byPort.set(port, s);
    }
    return s;
  };
  for (const ep of b.endpoints ?? []) {
    const { ip, port } = splitEndpoint(ep);
    (subsetFor(port).addresses ??= []).push(addressOf(ip, refs.get(ep)));
  }
  // Addresses that are known but not ready appear only among the targetRefs.
  for (const r of b.targetRefs ?? []) {
    if (r.ready !== false) continue;
    const { ip, port } = splitEndpoint(r.endpoint);
    (subsetFor(port).notReadyAddresses ??= []).push(addressOf(ip, r));
  }
  return {
    apiVersion: INTERNAL_VERSION,
    kind: 'Endpoints',
    metadata: metaToInternal(b),
    subsets: [...byPort.values()].map((s) => ({ addresses: s.addresses, notReadyAddresses: s.notReadyAddresses, ports: s.ports })).map(compact),
  };
}

export function endpointsFromInternal(ep: Endpoints): WireEndpoints {
  const endpoints: string[] = [];
  const targetRefs: WireEndpointRef[] = [];
  const refOf = (endpoint: string, a: EndpointAddress, ready: boolean): WireEndpointRef | undefined =>
    a.targetRef || a.nodeName || !ready
      ? compact({ endpoint, ...a.targetRef, nodeName: a.nodeName, ready: ready ? undefined : false })
      : undefined;
  let protocol: WireEndpoints['protocol'];
  for (const s of ep.subsets) {
    for (const p of s.ports ?? []) {
      protocol ??= p.protocol;
      for (const a of s.addresses ?? []) {
        const e = joinEndpoint(a.ip, p.port);
        endpoints.push(e);
        const ref = refOf(e, a, true);
        if (ref) targetRefs.push(ref);
      }
      for (const a of s.notReadyAddresses ?? []) targetRefs.push(refOf(joinEndpoint(a.ip, p.port), a, false)!);
    }
  }
  return compact({
    ...metaFromInternal('Endpoints', ep.metadata),
    endpoints,
    protocol,
    targetRefs: targetRefs.length ? targetRefs : undefined,
    labels: ep.metadata.labels ? { ...ep.metadata.labels } : undefined,
  });
}
