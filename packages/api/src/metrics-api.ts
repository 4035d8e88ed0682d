// metrics.k8s.io/v1beta1, served from the metrics pipeline's memory (metrics-scraper.ts): NodeMetrics
// and PodMetrics, lists and single objects, a label selector read against the objects in the store.
// The shapes are metrics-server's, so `kubectl top` reads them.
import type { KubeObject, ObjectStore } from '@coxswain/objects';
import { parseSelector } from '@coxswain/objects';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './status';
import { sendJson } from './http-response';
import { staticResourceList } from './discovery';
import type { MetricsSource, Usage } from '@coxswain/client';

export const METRICS_GROUP_VERSION = 'metrics.k8s.io/v1beta1';
const PREFIX = `/apis/${METRICS_GROUP_VERSION}`;

type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string | undefined>, query: URLSearchParams) => Promise<void>;

/** The routes, to be registered before the generic /apis/:group/:version ones. */
export function metricsRoutes(source: MetricsSource, store: ObjectStore): Array<{ path: string; handler: Handler }> {
  const list = async (res: ServerResponse, kind: 'NodeMetrics' | 'PodMetrics', namespace: string | undefined, query: URLSearchParams) => {
    const items = await selected(kind, namespace, query.get('labelSelector') ?? undefined);
    sendJson(res, 200, { kind: `${kind}List`, apiVersion: METRICS_GROUP_VERSION, metadata: {}, items });
  };
  const one = async (res: ServerResponse, kind: 'NodeMetrics' | 'PodMetrics', namespace: string | undefined, name: string) => {
    const found = (await selected(kind, namespace, undefined)).find((m) => m.metadata.name === name);
    if (!found) throw new HttpError(404, 'NotFound', `${kind === 'NodeMetrics' ? 'nodemetrics' : 'podmetrics'}.metrics.k8s.io "${name}" not found`);
    sendJson(res, 200, found);
  };

  async function selected(kind: 'NodeMetrics' | 'PodMetrics', namespace: string | undefined, labelSelector: string | undefined) {
    let allowed: Set<string> | undefined;
    if (labelSelector) {
      try {
        parseSelector(labelSelector);
      } catch (e) {
        throw new HttpError(400, 'BadRequest', `labelSelector: ${(e as Error).message}`);
      }
      const objects = await store.list<KubeObject>(kind === 'NodeMetrics' ? 'minions' : 'pods', { namespace, labelSelector });
      allowed = new Set(objects.items.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`));
    }
    if (kind === 'NodeMetrics') {
      return source
        .nodes()
        .filter((n) => !allowed || allowed.has(`/${n.minion}`))
        .map((n) => ({ kind, apiVersion: METRICS_GROUP_VERSION, metadata: { name: n.minion, creationTimestamp: new Date().toISOString() }, timestamp: n.timestamp, window: source.window, usage: quantities(n.usage) }));
    }
    return source
      .pods()
      .filter((p) => (!namespace || p.namespace === namespace) && (!allowed || allowed.has(`${p.namespace}/${p.name}`)))
      .map((p) => ({
        kind,
        apiVersion: METRICS_GROUP_VERSION,
        metadata: { name: p.name, namespace: p.namespace, creationTimestamp: new Date().toISOString() },
        timestamp: p.timestamp,
        window: source.window,
        containers: p.containers.map((c) => ({ name: c.name, usage: quantities(c.usage) })),
      }));
  }

  return [
    {
      path: PREFIX,
      handler: async (_req, res) =>
        sendJson(
          res,
          200,
          staticResourceList(METRICS_GROUP_VERSION, [
            { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
            { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
          ]),
        ),
    },
    { path: `${PREFIX}/nodes`, handler: async (_req, res, _p, q) => list(res, 'NodeMetrics', undefined, q) },
    { path: `${PREFIX}/nodes/:name`, handler: async (_req, res, p) => one(res, 'NodeMetrics', undefined, p.name!) },
    { path: `${PREFIX}/pods`, handler: async (_req, res, _p, q) => list(res, 'PodMetrics', undefined, q) },
    { path: `${PREFIX}/namespaces/:namespace/pods`, handler: async (_req, res, p, q) => list(res, 'PodMetrics', p.namespace, q) },
    { path: `${PREFIX}/namespaces/:namespace/pods/:name`, handler: async (_req, res, p) => one(res, 'PodMetrics', p.namespace, p.name!) },
  ];
}

/** Quantities as metrics-server writes them: CPU in nanocores, memory in KiB. */
function quantities(u: Usage): { cpu: string; memory: string } {
  return { cpu: `${Math.round(u.cpuNanoCores)}n`, memory: `${Math.round(u.memoryBytes / 1024)}Ki` };
}
