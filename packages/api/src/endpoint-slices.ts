// discovery.k8s.io/v1 EndpointSlices, read-only, as a view of the Endpoints the endpoints controller
// writes: kubectl 1.32's `describe svc` reads a service's endpoints from its slices only. One slice
// per subset of a service's Endpoints, labelled `kubernetes.io/service-name`; nothing is stored.
import type { ServerResponse } from 'node:http';
import { parseSelector } from '@coxswain/objects';
import type { EndpointAddress, Endpoints, ObjectStore } from '@coxswain/objects';
import { sendJson } from './http-response';
import { staticResourceList } from './discovery';
import { badRequest, notFound } from './status';

export const ENDPOINT_SLICES_GROUP_VERSION = 'discovery.k8s.io/v1';
const PREFIX = `/apis/${ENDPOINT_SLICES_GROUP_VERSION}`;
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

type Handler = (req: unknown, res: ServerResponse, params: Record<string, string | undefined>, query: URLSearchParams) => Promise<void>;

function slicesOf(ep: Endpoints): Record<string, unknown>[] {
  const service = ep.metadata.name;
  const endpoint = (a: EndpointAddress, ready: boolean) => ({
    addresses: [a.ip],
    conditions: { ready, serving: ready, terminating: false },
    ...(a.nodeName ? { nodeName: a.nodeName } : {}),
    ...(a.targetRef ? { targetRef: a.targetRef } : {}),
  });
  return (ep.subsets ?? []).map((subset, i) => ({
    apiVersion: ENDPOINT_SLICES_GROUP_VERSION,
    kind: 'EndpointSlice',
    metadata: {
      name: `${service}-${i}`,
      namespace: ep.metadata.namespace,
      labels: { ...ep.metadata.labels, [SERVICE_NAME_LABEL]: service, 'endpointslice.kubernetes.io/managed-by': 'coxswain' },
      resourceVersion: ep.metadata.resourceVersion,
      creationTimestamp: ep.metadata.creationTimestamp,
    },
    addressType: 'IPv4',
    endpoints: [...(subset.addresses ?? []).map((a) => endpoint(a, true)), ...(subset.notReadyAddresses ?? []).map((a) => endpoint(a, false))],
    // The name is always there ("" when unnamed), as Kubernetes' slice controller writes it: kubectl dereferences it.
    ports: (subset.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  }));
}

export function endpointSliceRoutes(store: ObjectStore): Array<{ path: string; handler: Handler }> {
  const slices = async (namespace: string | undefined, labelSelector: string | null) => {
    let selector: ReturnType<typeof parseSelector> | undefined;
    try {
      selector = labelSelector ? parseSelector(labelSelector) : undefined;
    } catch (e) {
      throw badRequest(`labelSelector: ${(e as Error).message}`, { causes: [{ field: 'labelSelector', message: (e as Error).message, reason: 'FieldValueInvalid' }] });
    }
    const list = await store.list<Endpoints>('endpoints', namespace ? { namespace } : {});
    const items = list.items.flatMap(slicesOf).filter((s) => !selector || selector.matches((s.metadata as { labels: Record<string, string> }).labels));
    return { list, items };
  };
  const list: Handler = async (_req, res, params, query) => {
    const { list: endpoints, items } = await slices(params.namespace, query.get('labelSelector'));
    sendJson(res, 200, { kind: 'EndpointSliceList', apiVersion: ENDPOINT_SLICES_GROUP_VERSION, metadata: { resourceVersion: endpoints.resourceVersion }, items });
  };
  return [
    {
      path: PREFIX,
      handler: async (_req, res) =>
        sendJson(res, 200, staticResourceList(ENDPOINT_SLICES_GROUP_VERSION, [{ name: 'endpointslices', singularName: 'endpointslice', namespaced: true, kind: 'EndpointSlice', verbs: ['get', 'list'] }])),
    },
    { path: `${PREFIX}/endpointslices`, handler: list },
    { path: `${PREFIX}/namespaces/:namespace/endpointslices`, handler: list },
    {
      path: `${PREFIX}/namespaces/:namespace/endpointslices/:name`,
      handler: async (_req, res, params) => {
        const found = (await slices(params.namespace, null)).items.find((s) => (s.metadata as { name: string }).name === params.name);
        if (!found) throw notFound(`endpointslices.discovery.k8s.io "${params.name}" not found`);
        sendJson(res, 200, found);
      },
    },
  ];
}
