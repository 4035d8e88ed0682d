// GET /api/<v>/pods/<name>/log: finds the pod's minion, asks that minion's kubelet for the
// container's log (`<kubeletEndpoint>/containerLogs/<ns>/<pod>/<container>`) and streams it through,
// following it for as long as the client stays (follow=true). The options (tailLines, sinceSeconds,
// timestamps, previous, limitBytes...) are checked here and forwarded: pod-log-options.ts.
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ObjectStore, Pod } from '@coxswain/objects';
import { containerOf, kubeletEndpointOf } from './pod-kubelet';
import { kubeletAuthHeaders, parsePodLogOptions, podLogQuery, PodLogOptionError, type PodLogOptions } from '@coxswain/client';
import { badRequest, HttpError } from './status';

export async function proxyPodLog(
  store: ObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  namespace: string,
  podName: string,
  query: URLSearchParams,
  kubeletCredential?: string,
): Promise<void> {
  const pod = await store.get<Pod>('pods', namespace, podName);
  const container = containerOf(pod, query);
  let options: PodLogOptions;
  try {
    options = parsePodLogOptions(query, Date.now());
  } catch (e) {
    if (e instanceof PodLogOptionError) throw badRequest(e.message, { causes: [{ field: e.field, message: e.reason }] });
    throw e;
  }

  const { nodeName, endpoint } = await kubeletEndpointOf(store, pod, 'logs');

  const target = new URL(`/containerLogs/${encodeURIComponent(namespace)}/${encodeURIComponent(podName)}/${encodeURIComponent(container)}`, endpoint);
  target.search = podLogQuery(options).toString();
  const client = target.protocol === 'https:' ? https : http;

  await new Promise<void>((resolve, reject) => {
    const upstream = client.get(target, { headers: kubeletAuthHeaders(kubeletCredential) }, (up) => {
      res.writeHead(up.statusCode ?? 502, { 'Content-Type': up.headers['content-type'] ?? 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
      res.flushHeaders();
      up.pipe(res);
      up.on('end', resolve);
      up.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    upstream.setTimeout(10_000, () => {
      // Only the connect/first byte is bounded: a followed log may legitimately be quiet.
      if (!res.headersSent) upstream.destroy(new Error('timed out'));
    });
    upstream.on('error', (e) => {
      if (res.headersSent) {
        res.destroy();
        resolve();
      } else reject(new HttpError(503, 'ServiceUnavailable', `cannot reach the kubelet of minion "${nodeName}" at ${endpoint}: ${e.message}`));
    });
    res.on('close', () => {
      upstream.destroy();
      resolve();
    });
  });
}
