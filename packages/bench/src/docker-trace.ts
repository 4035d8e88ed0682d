// Records every Engine API request this process makes on a unix socket (the kubelets' dockerode
// calls), through node's http diagnostics channels: no change to the kubelet is needed to see
// where a pod's startup time goes. The create answers are read too, for the container IDs they
// give, so later start/inspect calls can be told apart per pod (docker-breakdown.ts).
import * as dc from 'diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'http';

export interface DockerCall {
  method: string;
  path: string;
  /** This process's clock (ms since the epoch, fractional): request sent, answer's headers in. */
  t0: number;
  t1: number;
  status: number;
  /** The created container's ID (POST /containers/create only). */
  id?: string;
}

const now = () => performance.timeOrigin + performance.now();

export class DockerTrace {
  private calls: DockerCall[] = [];
  private readonly sent = new WeakMap<ClientRequest, number>();
  private readonly onStart = (m: unknown) => {
    const { request } = m as { request: ClientRequest & { socketPath?: string } };
    if (request.socketPath) this.sent.set(request, now());
  };
  private readonly onFinish = (m: unknown) => {
    const { request, response } = m as { request: ClientRequest; response: IncomingMessage };
    const t0 = this.sent.get(request);
    // The event stream is one long request: not a step of anything.
    if (t0 === undefined || request.path.startsWith('/events')) return;
    const call: DockerCall = { method: request.method, path: request.path, t0, t1: now(), status: response.statusCode ?? 0 };
    this.calls.push(call);
    if (this.calls.length > 20_000) this.calls.splice(0, this.calls.length - 20_000);
    if (call.method === 'POST' && call.path.startsWith('/containers/create')) {
      let body = '';
      response.on('data', (c: Buffer) => (body += c.toString()));
      response.on('end', () => {
        try {
          call.id = JSON.parse(body).Id;
        } catch {
          /* a refusal: no ID */
        }
      });
    }
  };

  start(): this {
    dc.subscribe('http.client.request.start', this.onStart);
    dc.subscribe('http.client.response.finish', this.onFinish);
    return this;
  }

  stop(): void {
    dc.unsubscribe('http.client.request.start', this.onStart);
    dc.unsubscribe('http.client.response.finish', this.onFinish);
  }

  /** The calls recorded since the last take (the newest 20,000 at most). */
  take(): DockerCall[] {
    const out = this.calls;
    this.calls = [];
    return out;
  }
}
