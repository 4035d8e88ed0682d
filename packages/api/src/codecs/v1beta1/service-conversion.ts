// Services: the top-level `port`, `containerPort` (number or port name) and `protocol` <-> the
// first of `spec.ports`; a Coxswain `ports` list carries a multi-port service; `portalIP` <-> `spec.clusterIP`.
import type { Service, ServicePort } from '@coxswain/objects';
import { metaFromInternal, metaToInternal, INTERNAL_VERSION } from './meta';
import { compact, copy } from './object-utils';
import type { WireService, WireServicePort } from './wire-types';

function portToInternal(p: WireServicePort): ServicePort {
  return compact({ name: p.name, port: p.port, targetPort: p.containerPort, protocol: p.protocol });
}

function portFromInternal(p: ServicePort): WireServicePort {
  return compact({ name: p.name, port: p.port, containerPort: p.targetPort, protocol: p.protocol });
}

export function serviceToInternal(b: WireService): Service {
  const ports = b.ports?.length
    ? b.ports.map(portToInternal)
    : [portToInternal({ port: b.port, containerPort: b.containerPort, protocol: b.protocol })];
  return {
    apiVersion: INTERNAL_VERSION,
    kind: 'Service',
    metadata: metaToInternal(b),
    spec: compact({ ports, selector: copy(b.selector), clusterIP: b.portalIP, sessionAffinity: b.sessionAffinity }),
  };
}

export function serviceFromInternal(svc: Service): WireService {
  const [first] = svc.spec.ports;
  const needList = svc.spec.ports.length > 1 || svc.spec.ports.some((p) => p.name !== undefined);
  return compact({
    ...metaFromInternal('Service', svc.metadata),
    port: first?.port,
    protocol: first?.protocol,
    containerPort: first?.targetPort,
    selector: copy(svc.spec.selector),
    sessionAffinity: svc.spec.sessionAffinity,
    portalIP: svc.spec.clusterIP,
    ports: needList ? svc.spec.ports.map(portFromInternal) : undefined,
    labels: copy(svc.metadata.labels),
  });
}
