// Runs one probe or lifecycle hook action: httpGet (2xx/3xx is success), tcpSocket (a connection
// opens), exec (exit code 0). Network checks go to the pod's IP, which the host reaches on the
// minion's bridge. Hollow minions inject their own Prober.
import * as http from 'http';
import * as net from 'net';
import type { Container, Handler } from '@coxswain/objects';
import type { ContainerRuntime } from './runtime';

export interface ProbeTarget {
  podIP?: string;
  containerId: string;
  container: Container;
}

export interface ProbeOutcome {
  ok: boolean;
  message?: string;
}

export interface Prober {
  run(action: Handler, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome>;
}

/** A port given by number, or by the name of one of the container's ports. */
export function resolvePort(port: number | string, container: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

export class NetworkProber implements Prober {
  constructor(private readonly runtime: ContainerRuntime) {}

  async run(action: Handler, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
    try {
      if (action.exec) {
        const r = await this.runtime.exec(target.containerId, action.exec.command, timeoutMs);
        if (r.timedOut) return { ok: false, message: `exec ${JSON.stringify(action.exec.command)} timed out after ${timeoutMs} ms` };
        return r.exitCode === 0 ? { ok: true } : { ok: false, message: `exec ${JSON.stringify(action.exec.command)} exited ${r.exitCode}: ${r.output.trim().slice(0, 200)}` };
      }
      if (action.httpGet) {
        const port = resolvePort(action.httpGet.port, target.container);
        const host = action.httpGet.host ?? target.podIP;
        if (!port || !host) return { ok: false, message: `httpGet: no ${port ? 'pod IP' : `port ${action.httpGet.port}`}` };
        const path = action.httpGet.path ?? '/';
        const code = await httpStatus(host, port, path.startsWith('/') ? path : `/${path}`, timeoutMs);
        return code >= 200 && code < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` };
      }
      if (action.tcpSocket) {
        const port = resolvePort(action.tcpSocket.port, target.container);
        if (!port || !target.podIP) return { ok: false, message: `tcpSocket: no ${port ? 'pod IP' : `port ${action.tcpSocket.port}`}` };
        await tcpConnect(target.podIP, port, timeoutMs);
        return { ok: true };
      }
      return { ok: false, message: 'no action in probe' };
    } catch (e) {
      return { ok: false, message: e instanceof Error ? e.message : String(e) };
    }
  }
}

function httpStatus(host: string, port: number, path: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`HTTP probe to ${host}:${port}${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`TCP probe to ${host}:${port} timed out after ${timeoutMs} ms`)));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}
