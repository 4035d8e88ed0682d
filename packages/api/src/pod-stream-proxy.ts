// pods/exec, pods/attach and pods/portforward: after the user is authenticated (server.ts), checks that the pod and
// container can take the stream, then hands kubectl's upgrade request to the pod's kubelet — with
// the kubelet credential instead of the user's token — and splices the two connections together.
// The bytes are not interpreted here, so whatever the kubelet speaks (the v5/v4 channel protocols,
// kubelet/src/remote-command.ts; SPDY for port-forward, tunnelled in a WebSocket or after a SPDY
// upgrade, kubelet/src/port-forward.ts) reaches kubectl unchanged, as Kubernetes' upgrade-aware proxy does.
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ObjectStore, Pod } from '@coxswain/objects';
import { kubeletAuthHeaders } from '@coxswain/client';
import { containerOf, kubeletEndpointOf } from './pod-kubelet';
import { badRequest, HttpError } from './status';

export type PodStreamVerb = 'exec' | 'attach' | 'portforward';

/** `/api/<v>/namespaces/<ns>/pods/<name>/exec|attach|portforward`: the namespace, pod and verb. */
export const POD_STREAM_PATH = /^\/api\/[^/]+\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)\/?$/;

export async function proxyPodStream(
  store: ObjectStore,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: { namespace: string; pod: string; verb: PodStreamVerb },
  query: URLSearchParams,
  kubeletCredential: string | undefined,
): Promise<void> {
  const { verb } = target;
  const pod = await store.get<Pod>('pods', target.namespace, target.pod);
  const phase = pod.status?.phase ?? 'Pending';
  if (verb === 'portforward') {
    if (phase !== 'Running') throw badRequest(`cannot port-forward to pod "${target.pod}": it is not running (phase ${phase})`);
    const { nodeName, endpoint } = await kubeletEndpointOf(store, pod, 'port-forward');
    const url = new URL(`/portForward/${encodeURIComponent(target.namespace)}/${encodeURIComponent(target.pod)}`, endpoint);
    url.search = query.toString();
    return spliceUpgrade(req, socket, head, url, kubeletCredential, nodeName);
  }
  const container = containerOf(pod, query);
  if (verb === 'exec' && query.getAll('command').length === 0) {
    throw badRequest('exec needs a command: at least one "command" parameter', { causes: [{ field: 'command', message: 'required' }] });
  }
  if (phase !== 'Running') throw badRequest(`cannot ${verb} into pod "${target.pod}": it is not running (phase ${phase})`);
  const status = pod.status?.containerStatuses?.find((c) => c.name === container);
  if (!status?.state?.running) {
    throw badRequest(`cannot ${verb} into container "${container}" of pod "${target.pod}": it is not running`, { causes: [{ field: 'container', message: 'not running' }] });
  }
  const { nodeName, endpoint } = await kubeletEndpointOf(store, pod, `${verb} stream`);

  const url = new URL(`/${verb}/${encodeURIComponent(target.namespace)}/${encodeURIComponent(target.pod)}/${encodeURIComponent(container)}`, endpoint);
  url.search = query.toString();
  return spliceUpgrade(req, socket, head, url, kubeletCredential, nodeName);
}

/** Sends kubectl's upgrade request on to the kubelet at `url` and joins the two connections. */
function spliceUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, kubeletCredential: string | undefined, nodeName: string): Promise<void> {
  const endpoint = url.origin;
  const headers: http.OutgoingHttpHeaders = { ...req.headers, host: url.host, ...kubeletAuthHeaders(kubeletCredential) };
  if (kubeletCredential === undefined) delete headers.authorization;
  const client = url.protocol === 'https:' ? https : http;

  return new Promise<void>((resolve, reject) => {
    // kubectl's SPDY upgrade is a POST, its WebSocket a GET: the method goes on as it came.
    const upstream = client.request(url, { method: req.method ?? 'GET', headers });
    upstream.setTimeout(10_000, () => upstream.destroy(new Error('timed out')));
    upstream.on('upgrade', (res, kubelet, kubeletHead) => {
      upstream.setTimeout(0);
      const lines = [`HTTP/1.1 101 ${res.statusMessage ?? 'Switching Protocols'}`];
      for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (kubeletHead.length) socket.write(kubeletHead);
      if (head.length) kubelet.write(head);
      kubelet.pipe(socket).on('error', () => kubelet.destroy());
      socket.pipe(kubelet).on('error', () => socket.destroy());
      kubelet.on('close', () => socket.destroy());
      socket.on('close', () => kubelet.destroy());
      kubelet.on('error', () => socket.destroy());
      socket.on('error', () => kubelet.destroy());
      resolve();
    });
    upstream.on('response', (res) => {
      // The kubelet refused before upgrading: its sentence becomes the Status kubectl prints.
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c.length + body.length <= 4096 ? c : ''));
      res.on('end', () => reject(kubeletRefusal(res.statusCode ?? 502, body.trim(), nodeName)));
    });
    upstream.on('error', (e) => reject(new HttpError(503, 'ServiceUnavailable', `cannot reach the kubelet of minion "${nodeName}" at ${endpoint}: ${e.message}`)));
    upstream.end();
  });
}

function kubeletRefusal(code: number, message: string, nodeName: string): HttpError {
  if (code === 401) return new HttpError(503, 'ServiceUnavailable', `the kubelet of minion "${nodeName}" refused the API server's credential`);
  if (code === 404) return new HttpError(404, 'NotFound', message);
  if (code === 400) return badRequest(message);
  return new HttpError(502, 'BadGateway', `the kubelet of minion "${nodeName}" answered ${code}: ${message}`);
}
