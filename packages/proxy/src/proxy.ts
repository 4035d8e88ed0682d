// The per-minion service proxy: keeps one listener per service port (a ServiceListener for TCP, a
// UdpServiceListener for UDP) in line with the Services and Endpoints in its informers' caches. It is
// a controller like the reconcilers: the informers' handlers (serviceHandlers, endpointsHandlers)
// enqueue the service key, and reconcile(key) makes that one service's listeners match the cached
// Service and Endpoints of that name. A burst of endpoint changes to one service is one run.
import { createLogger, type Logger } from '@coxswain/process';
import { metaNamespaceKey, splitMetaNamespaceKey, type Clock, type EndpointPort, type EndpointSubset, type Endpoints, type Service, type ServicePort } from '@coxswain/objects';
import { Controller, type BackoffOptions, type EventHandler, type Informer } from '@coxswain/client';
import { LoadBalancer, type Endpoint } from './load-balancer';
import { ServiceListener, type BindFailure } from './service-listener';
import { UdpServiceListener } from './udp-service-listener';
import type { PortListener } from './port-listener';
import type { PortalRule } from './portal-rules';
import { ServiceStats, type StatsSnapshot } from './service-stats';

/** Where the proxy reports what went wrong with a service (an EventRecorder in production). */
export interface ProxyEventSink {
  warning(involved: Service, reason: string, message: string): void;
}

/** Where the proxy reads an object by `namespace/name`: an informer's cache (a Map in tests). */
export type ObjectLookup<T extends Service | Endpoints> = Pick<Informer<T>, 'get'>;

export interface ServiceProxyOptions {
  /** The address every service listener binds: the minion's service address. */
  bindAddress: string;
  services: ObjectLookup<Service>;
  endpoints: ObjectLookup<Endpoints>;
  /** Idle timeout of ClientIP affinity (k8s: 3 h). */
  affinityTimeoutMs?: number;
  connectTimeoutMs?: number;
  maxAttempts?: number;
  /** UDP: a client session idle this long ends (default 30 s; see udp-service-listener.ts). */
  udpSessionTimeoutMs?: number;
  /** UDP: the most client sessions per service port (default 4096). */
  udpMaxSessions?: number;
  bindBackoff?: BackoffOptions;
  events?: ProxyEventSink;
  logger?: Logger;
  clock?: Clock;
  /**
   * Portal IPs: a service with spec.clusterIP is served on a port of the proxy's own choosing, and
   * `portals` is told where each portalIP:port must be redirected (PortalRules: iptables). Without
   * it every service listens on its own port of bindAddress (two services cannot share a port).
   */
  portals?: { sync(rules: PortalRule[]): Promise<void> };
}

export interface PortStatus {
  namespace: string;
  service: string;
  /** The service port's name, or its number when unnamed. */
  port: string;
  protocol: Protocol;
  address: string;
  portNumber: number;
  listening: boolean;
  endpoints: number;
  stats: StatsSnapshot;
}

type Protocol = 'TCP' | 'UDP';

interface PortEntry {
  namespace: string;
  service: string;
  portName: string;
  protocol: Protocol;
  listener: PortListener;
  balancer: LoadBalancer;
  stats: ServiceStats;
  /** The service's port (the listener's differs when it serves a portal IP). */
  servicePort: number;
  /** The portal IP the listener serves, redirected to it by the portal rules. */
  portalIP?: string;
}

export class ServiceProxy {
  /** Runs reconcile(serviceKey); one worker: a run only opens, closes or re-points listeners. */
  readonly controller: Controller;
  readonly serviceHandlers: EventHandler<Service>;
  /** Endpoints are named after their service: a change to them reconciles that service. */
  readonly endpointsHandlers: EventHandler<Endpoints>;
  private readonly opts: ServiceProxyOptions;
  private readonly log: Logger;
  /** Per service key, its ports by `protocol/port name`: TCP and UDP on one port number coexist. */
  private readonly ports = new Map<string, Map<string, PortEntry>>();
  /** Portal rule syncs run one after another, the last one reflecting every change before it. */
  private portalSync: Promise<void> = Promise.resolve();
  private portalSyncQueued = false;

  constructor(opts: ServiceProxyOptions) {
    this.opts = opts;
    this.log = opts.logger ?? createLogger('proxy', { bindAddress: opts.bindAddress });
    this.controller = new Controller({ name: 'proxy', reconcile: async (key) => this.reconcile(key), clock: opts.clock, logger: this.log });
    this.serviceHandlers = this.controller.enqueueHandlers<Service>();
    this.endpointsHandlers = this.controller.enqueueHandlers<Endpoints>();
  }

  get bindAddress(): string {
    return this.opts.bindAddress;
  }

  /** Starts applying changes; call once the services and endpoints caches have synced. */
  start(): void {
    this.controller.start();
  }

  /** Stops applying changes, then closes every listener and ends established connections (shutdown). */
  async stop(): Promise<void> {
    await this.controller.stop();
    for (const entries of this.ports.values()) for (const e of entries.values()) e.listener.close(true);
    this.ports.clear();
  }

  /** The TCP listener of one service port (by name, or number when unnamed), for tests and tools. */
  listener(namespace: string, name: string, port: string): ServiceListener | undefined {
    const l = this.ports.get(metaNamespaceKey(namespace, name))?.get(entryKey('TCP', port))?.listener;
    return l instanceof ServiceListener ? l : undefined;
  }

  /** The UDP listener of one service port (by name, or number when unnamed). */
  udpListener(namespace: string, name: string, port: string): UdpServiceListener | undefined {
    const l = this.ports.get(metaNamespaceKey(namespace, name))?.get(entryKey('UDP', port))?.listener;
    return l instanceof UdpServiceListener ? l : undefined;
  }

  status(): PortStatus[] {
    const out: PortStatus[] = [];
    for (const entries of this.ports.values()) {
      for (const e of entries.values()) {
        out.push({
          namespace: e.namespace,
          service: e.service,
          port: e.portName,
          protocol: e.protocol,
          address: e.listener.address,
          portNumber: e.listener.port,
          listening: e.listener.listening,
          endpoints: e.balancer.getEndpoints().length,
          stats: e.stats.snapshot(),
        });
      }
    }
    return out.sort((a, b) => cmp(`${a.namespace}/${a.service}:${a.port}/${a.protocol}`, `${b.namespace}/${b.service}:${b.port}/${b.protocol}`));
  }

  /** Makes the listeners of one service match its cached Service and Endpoints. */
  private reconcile(key: string): void {
    const svc = this.opts.services.get(key);
    const current = this.ports.get(key) ?? new Map<string, PortEntry>();
    const desired = new Map<string, ServicePort>();
    for (const sp of svc?.spec.ports ?? []) {
      const protocol = sp.protocol ?? 'TCP';
      if (protocol !== 'TCP' && protocol !== 'UDP') {
        this.log.warn({ service: key, port: sp.port, protocol }, 'unsupported protocol; port skipped');
        continue;
      }
      desired.set(entryKey(protocol, portName(sp)), sp);
    }

    for (const [name, entry] of current) {
      const sp = desired.get(name);
      if (!sp || sp.port !== entry.servicePort || this.portalOf(svc) !== entry.portalIP) {
        // Established connections may finish; the port stops accepting now.
        entry.listener.close(false);
        current.delete(name);
        this.log.info({ service: key, port: entry.portName, protocol: entry.protocol }, sp ? 'service port moved; listener replaced' : 'service port removed; listener closed');
      }
    }

    const ep = this.opts.endpoints.get(key);
    for (const [name, sp] of desired) {
      let entry = current.get(name);
      if (!entry) {
        entry = this.open(key, svc!, sp);
        current.set(name, entry);
      }
      entry.balancer.setAffinity(svc!.spec.sessionAffinity ?? 'None', this.opts.affinityTimeoutMs);
      entry.balancer.setEndpoints(endpointsFor(sp, svc!.spec.ports.length, ep?.subsets ?? []));
    }

    if (current.size) this.ports.set(key, current);
    else this.ports.delete(key);
    this.schedulePortalSync();
  }

  /** The portal IP this proxy serves `svc` on, when portal rules are on. */
  private portalOf(svc: Service | undefined): string | undefined {
    return this.opts.portals ? svc?.spec.clusterIP || undefined : undefined;
  }

  /** Rewrites the portal rules from every listener, once the listeners of new ports are bound. */
  private schedulePortalSync(): void {
    const portals = this.opts.portals;
    if (!portals || this.portalSyncQueued) return;
    this.portalSyncQueued = true;
    this.portalSync = this.portalSync.then(async () => {
      this.portalSyncQueued = false;
      const entries = [...this.ports.values()].flatMap((m) => [...m.values()]).filter((e) => e.portalIP);
      await Promise.all(entries.map((e) => e.listener.ready));
      const rules = entries
        .filter((e) => e.listener.listening)
        .map((e) => ({ portalIP: e.portalIP!, port: e.servicePort, protocol: e.protocol, proxyAddress: this.opts.bindAddress, proxyPort: e.listener.port }));
      await portals.sync(rules).catch((err: Error) => this.log.error({ err: err.message }, 'cannot write portal rules'));
    });
  }

  /** Resolves once the portal rules reflect every change handled so far (tests, shutdown). */
  portalRulesSynced(): Promise<void> {
    return this.portalSync;
  }

  private open(key: string, svc: Service, sp: ServicePort): PortEntry {
    const { namespace = '', name: service } = splitMetaNamespaceKey(key);
    const name = portName(sp);
    const protocol = sp.protocol ?? 'TCP';
    const balancer = new LoadBalancer({ affinity: svc.spec.sessionAffinity ?? 'None', affinityTimeoutMs: this.opts.affinityTimeoutMs, clock: this.opts.clock });
    const stats = new ServiceStats();
    const portalIP = this.portalOf(svc);
    const common = {
      name: `${key}:${name}`,
      address: this.opts.bindAddress,
      // A portal IP's listener takes any free port: the portal rules point portalIP:port at it.
      port: portalIP ? 0 : sp.port,
      balancer,
      stats,
      maxAttempts: this.opts.maxAttempts,
      bindBackoff: this.opts.bindBackoff,
      clock: this.opts.clock,
      logger: this.log.child({ service: key, port: name, portNumber: sp.port, protocol }),
      onBindFailure: (f: BindFailure) => this.reportBindFailure(key, sp.port, protocol, f),
    };
    const listener =
      protocol === 'UDP'
        ? new UdpServiceListener({ ...common, sessionTimeoutMs: this.opts.udpSessionTimeoutMs, maxSessions: this.opts.udpMaxSessions })
        : new ServiceListener({ ...common, connectTimeoutMs: this.opts.connectTimeoutMs });
    listener.start();
    return { namespace, service, portName: name, protocol, listener, balancer, stats, servicePort: sp.port, portalIP };
  }

  private reportBindFailure(key: string, port: number, protocol: Protocol, f: BindFailure): void {
    const svc = this.opts.services.get(key);
    if (!svc || !this.opts.events) return;
    // The same message each time, so the recorder counts repeats on one Event instead of adding more.
    this.opts.events.warning(
      svc,
      'PortUnavailable',
      `cannot listen on ${this.opts.bindAddress}:${port}${protocol === 'UDP' ? '/UDP' : ''}: ${f.error.code ?? f.error.message}; retrying`,
    );
  }
}

/**
 * The endpoints of one service port: the ready addresses of every subset, at the subset's matching
 * port (same name and protocol).
 */
export function endpointsFor(sp: ServicePort, servicePortCount: number, subsets: readonly EndpointSubset[]): Endpoint[] {
  const out: Endpoint[] = [];
  for (const subset of subsets) {
    const ports = subset.ports ?? [];
    // The endpoints controller names each endpoint port after its service port; a lone unnamed port
    // of a single-port service matches too.
    const protocol = sp.protocol ?? 'TCP';
    const sameProtocol = (p: EndpointPort) => (p.protocol ?? 'TCP') === protocol;
    let match = ports.find((p) => (p.name ?? '') === (sp.name ?? '') && sameProtocol(p));
    if (!match && servicePortCount === 1 && ports.length === 1 && sameProtocol(ports[0])) match = ports[0];
    if (!match) continue;
    for (const a of subset.addresses ?? []) out.push({ ip: a.ip, port: match.port });
  }
  return out;
}

function entryKey(protocol: Protocol, portName: string): string {
  return `${protocol}/${portName}`;
}

function portName(sp: ServicePort): string {
  return sp.name || String(sp.port);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
