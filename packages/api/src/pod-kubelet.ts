// What every pod subresource served by a kubelet needs first (log, exec, attach): the container the
// request names (or the pod's only one) and the kubelet endpoint of the pod's minion.
import type { Minion, ObjectStore, Pod } from '@coxswain/objects';
import { badRequest, HttpError } from './status';

export function containerOf(pod: Pod, query: URLSearchParams): string {
  const podName = pod.metadata.name;
  const containers = pod.spec?.containers ?? [];
  const container = query.get('container') ?? undefined;
  if (!container) {
    if (containers.length !== 1) {
      throw badRequest(`a container name must be given for pod "${podName}": one of [${containers.map((c) => c.name).join(', ')}]`, {
        causes: [{ field: 'container', message: 'required when the pod has more than one container' }],
      });
    }
    return containers[0].name;
  }
  if (!containers.some((c) => c.name === container)) {
    throw badRequest(`container "${container}" is not in pod "${podName}": one of [${containers.map((c) => c.name).join(', ')}]`, {
      causes: [{ field: 'container', message: 'no such container in the pod' }],
    });
  }
  return container;
}

export async function kubeletEndpointOf(store: ObjectStore, pod: Pod, what: string): Promise<{ nodeName: string; endpoint: string }> {
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw badRequest(`pod "${pod.metadata.name}" is not bound to a minion yet; it has no ${what}`);
  const minion = await store.get<Minion>('minions', undefined, nodeName);
  const endpoint = minion.status?.kubeletEndpoint;
  if (!endpoint) throw new HttpError(503, 'ServiceUnavailable', `minion "${nodeName}" has not reported a kubelet endpoint`);
  return { nodeName, endpoint };
}
