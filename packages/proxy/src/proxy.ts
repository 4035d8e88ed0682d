// The per-minion service proxy: keeps one ServiceListener per service port in line with the Services
// and Endpoints it is told about. Input is four plain methods (fed by informers in production, called
// directly by tests); each change reconciles only the service it names.
import { createLogger, type Clock, type BackoffOptions, type EndpointSubset, type Endpoints, type Logger, type Service, type ServicePort } from '@coxswain/store';
import { LoadBalancer, type Endpoint } from './load-balancer';
import { ServiceListener, type BindFailure } from './service-listener';
import { ServiceStats, type StatsSnapshot } from './service-stats';

/** Where the proxy reports what went wrong with a service (an EventRecorder in production). */
export interface ProxyEventSink {
  warning(involved: Service, reason: string, message: string): void;
}

export interface ServiceProxyOptions {
  /** The address every service listener binds: the minion's service address. */
  bindAddress: string;
  /** Idle timeout of ClientIP affinity (k8s: 3 h). */
  affinityTimeoutMs?: number;
  connectTimeoutMs?: number;
  maxAttempts?: number;
  bindBackoff?: BackoffOptions;
  events?: ProxyEventSink;
  logger?: Logger;
  clock?: Clock;
}

export interface PortStatus {
  namespace: string;
  service: string;
  /** The service port's name, or its number when unnamed. */
  port: string;
  address: string;
  portNumber: number;
  listening: boolean;
  endpoints: number;
  stats: StatsSnapshot;
}

interface PortEntry {
  namespace: string;
  service: string;
  portName: string;
  listener: ServiceListener;
  balancer: LoadBalancer;
  stats: ServiceStats;
}

export class ServiceProxy {
  private readonly opts: ServiceProxyOptions;
  private readonly log: Logger;
  private readonly services = new Map<string, Service>();
  private readonly endpoints = new Map<string, Endpoints>();
  /** Per service key, its ports by port name. */
  private readonly ports = new Map<string, Map<string, PortEntry>>();
  private closed = false;

  constructor(opts: ServiceProxyOptions) {
    this.opts = opts;
    this.log = opts.logger ?? createLogger('proxy', { bindAddress: opts.bindAddress });
  }

  get bindAddress(): string {
    return this.opts.bindAddress;
  }

  upsertService(svc: Service): void {
    const key = keyOf(svc.metadata.namespace, svc.metadata.name);
    this.services.set(key, svc);
    this.reconcile(key);
  }

  deleteService(namespace: string | undefined, name: string): void {
    const key = keyOf(namespace, name);
    this.services.delete(key);
    this.reconcile(key);
  }

  upsertEndpoints(ep: Endpoints): void {
    const key = keyOf(ep.metadata.namespace, ep.metadata.name);
    this.endpoints.set(key, ep);
    this.reconcile(key);
  }

  deleteEndpoints(namespace: string | undefined, name: string): void {
    const key = keyOf(namespace, name);
    this.endpoints.delete(key);
    this.reconcile(key);
  }

  /** The listener of one service port (by name, or number when unnamed), for tests and tools. */
  listener(namespace: string, name: string, port: string): ServiceListener | undefined {
    return this.ports.get(keyOf(namespace, name))?.get(port)?.listener;
  }

  status(): PortStatus[] {
    const out: PortStatus[] = [];
    for (const entries of this.ports.values()) {
      for (const e of entries.values()) {
        out.push({
          namespace: e.namespace,
          service: e.service,
          port: e.portName,
          address: e.listener.address,
          portNumber: e.listener.port,
          listening: e.listener.listening,
          endpoints: e.balancer.getEndpoints().length,
          stats: e.stats.snapshot(),
        });
      }
    }
    return out.sort((a, b) => cmp(`${a.namespace}/${a.service}:${a.port}`, `${b.namespace}/${b.service}:${b.port}`));
  }

  /** Closes every listener; `dropConnections` also ends established connections (shutdown). */
  close(dropConnections = true): void {
    this.closed = true;
    for (const entries of this.ports.values()) for (const e of entries.values()) e.listener.close(dropConnections);
    this.ports.clear();
  }

  private reconcile(key: string): void {
    if (this.closed) return;
    const svc = this.services.get(key);
    const current = this.ports.get(key) ?? new Map<string, PortEntry>();
    const desired = new Map<string, ServicePort>();
    for (const sp of svc?.spec.ports ?? []) {
      if ((sp.protocol ?? 'TCP') !== 'TCP') {
        this.log.warn({ service: key, port: sp.port, protocol: sp.protocol }, 'only TCP service ports are proxied; skipping');
        continue;
      }
      desired.set(portName(sp), sp);
    }

    for (const [name, entry] of current) {
      const sp = desired.get(name);
      if (!sp || sp.port !== entry.listener.port) {
        // Established connections may finish; the port stops accepting now.
        entry.listener.close(false);
        current.delete(name);
        this.log.info({ service: key, port: name }, sp ? 'service port moved; listener replaced' : 'service port removed; listener closed');
      }
    }

    const ep = this.endpoints.get(key);
    for (const [name, sp] of desired) {
      let entry = current.get(name);
      if (!entry) {
        entry = this.open(key, svc!, name, sp);
        current.set(name, entry);
      }
      entry.balancer.setAffinity(svc!.spec.sessionAffinity ?? 'None', this.opts.affinityTimeoutMs);
      entry.balancer.setEndpoints(endpointsFor(sp, svc!.spec.ports.length, ep?.subsets ?? []));
    }

    if (current.size) this.ports.set(key, current);
    else this.ports.delete(key);
  }

  private open(key: string, svc: Service, name: string, sp: ServicePort): PortEntry {
    const [namespace, service] = splitKey(key);
    const balancer = new LoadBalancer({ affinity: svc.spec.sessionAffinity ?? 'None', affinityTimeoutMs: this.opts.affinityTimeoutMs, clock: this.opts.clock });
    const stats = new ServiceStats();
    const listener = new ServiceListener({
      name: `${key}:${name}`,
      address: this.opts.bindAddress,
      port: sp.port,
      balancer,
      stats,
      connectTimeoutMs: this.opts.connectTimeoutMs,
      maxAttempts: this.opts.maxAttempts,
      bindBackoff: this.opts.bindBackoff,
      clock: this.opts.clock,
      logger: this.log.child({ service: key, port: name, portNumber: sp.port }),
      onBindFailure: (f) => this.reportBindFailure(key, sp.port, f),
    });
    listener.start();
    return { namespace, service, portName: name, listener, balancer, stats };
  }

  private reportBindFailure(key: string, port: number, f: BindFailure): void {
    const svc = this.services.get(key);
    if (!svc || !this.opts.events) return;
    // The same message each time, so the recorder counts repeats on one Event instead of adding more.
    this.opts.events.warning(
      svc,
      'PortUnavailable',
      `cannot listen on ${this.opts.bindAddress}:${port}: ${f.error.code ?? f.error.message}; retrying`,
    );
  }
}

/** The endpoints of one service port: the ready addresses of every subset, at the subset's matching port. */
export function endpointsFor(sp: ServicePort, servicePortCount: number, subsets: readonly EndpointSubset[]): Endpoint[] {
  const out: Endpoint[] = [];
  for (const subset of subsets) {
    const ports = subset.ports ?? [];
    // The endpoints controller names each endpoint port after its service port; a lone unnamed port
    // of a single-port service matches too.
    let match = ports.find((p) => (p.name ?? '') === (sp.name ?? '') && (p.protocol ?? 'TCP') === 'TCP');
    if (!match && servicePortCount === 1 && ports.length === 1) match = ports[0];
    if (!match) continue;
    for (const a of subset.addresses ?? []) out.push({ ip: a.ip, port: match.port });
  }
  return out;
}

function portName(sp: ServicePort): string {
  return sp.name || String(sp.port);
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? 'default'}/${name}`;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
