// `coxswain proxy --minion NAME --etcd-servers URL [--bind-address ADDR] [--healthz-address ADDR]
// [--healthz-port P]`: wires the store, two informers (services, endpoints), the ServiceProxy (a
// controller over their caches, started once both have synced), an event recorder for ports that
// cannot be bound, and the /healthz + /metrics server.
import { Backoff, EventRecorder, Informer } from '@coxswain/client';
import { openRegistry, PodCidrAllocator, type Registry } from '@coxswain/registry';
import { minionDescribed, NotFoundError, realClock, type Endpoints, type Minion, type ObjectStore, type Service } from '@coxswain/objects';
import { createLogger, parseEtcdServers, serveHealth, type EtcdTLS, type HealthServer, type Logger } from '@coxswain/process';
import { exposeProxyMetrics } from './proxy-metrics';
import { ServiceProxy, type ServiceProxyOptions } from './proxy';
import { PortalRules } from './portal-rules';
import { ensurePortalRoute } from './portal-network';
import { PodRoutes } from './pod-routes';

export const DEFAULT_HEALTHZ_PORT = 10249;

export interface RunProxyOptions {
  minion: string;
  /** etcd client URLs: a list, or `--etcd-servers`' comma-separated text. Ignored when `store` is given. */
  etcdServers?: string | readonly string[];
  /** TLS to etcd (`--etcd-cafile/--etcd-certfile/--etcd-keyfile`); default plain. */
  etcdTLS?: EtcdTLS;
  /** A store to use instead of connecting (tests); the caller closes it. */
  store?: ObjectStore;
  /** Default: the Minion's status.serviceAddress, else its InternalIP address. */
  bindAddress?: string;
  /** Default: the Minion's InternalIP address, else 127.0.0.1. */
  healthzAddress?: string;
  /** Default 10249 (kube-proxy's); 0 picks a free port. */
  healthzPort?: number;
  /** Tuning passed to the ServiceProxy (timeouts, bind backoff). */
  proxy?: Omit<ServiceProxyOptions, 'bindAddress' | 'services' | 'endpoints' | 'events' | 'logger' | 'portals'>;
  /**
   * Serve portal IPs from this network (the API server's --portal-net): iptables rules of this
   * minion's own and the portal route. Without it, services listen on their own port of bindAddress.
   */
  portalNet?: string;
  /** Default /usr/sbin/iptables. */
  iptables?: string;
  /**
   * Keep this host's routes to every other minion's pods and the pod network's NAT and forward
   * rules (pod-routes.ts; `--pod-routes`). One proxy per host: a joined host's, never each of the
   * local cluster's minions sharing one host.
   */
  podRoutes?: boolean;
  /** The cluster CIDR the pod routes serve; default the one the API server stored (its --cluster-cidr). */
  clusterCidr?: string;
  /** Aborts the wait for the Minion object (shutdown before the kubelet registered it). */
  signal?: AbortSignal;
  logger?: Logger;
}

export interface RunningProxy {
  proxy: ServiceProxy;
  health: HealthServer;
  bindAddress: string;
  /** Resolves once services and endpoints have been listed. */
  synced: Promise<boolean>;
  stop(): Promise<void>;
}

export async function runProxy(opts: RunProxyOptions): Promise<RunningProxy> {
  const log = opts.logger ?? createLogger('proxy', { minion: opts.minion });
  let ownedStore: Registry | undefined;
  if (!opts.store) {
    const endpoints = parseEtcdServers(opts.etcdServers);
    ownedStore = openRegistry(endpoints, { tls: opts.etcdTLS });
  }
  const store: ObjectStore = opts.store ?? ownedStore!;

  try {
    const minion = opts.bindAddress && opts.healthzAddress && !opts.portalNet ? undefined : await waitForMinion(store, opts.minion, log, opts.signal);
    const internalIP = minion?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const bindAddress = opts.bindAddress ?? minion?.status?.serviceAddress ?? internalIP;
    if (!bindAddress) throw new Error(`minion ${opts.minion} has neither status.serviceAddress nor an InternalIP address; pass --bind-address`);
    const healthzAddress = opts.healthzAddress ?? internalIP ?? '127.0.0.1';

    const portals = opts.portalNet ? await portalRulesFor(opts, minion!) : undefined;

    const recorder = new EventRecorder({ store, component: 'proxy', host: opts.minion, logger: log });
    const routes = opts.podRoutes ? await podRoutesFor(opts, store, ownedStore, recorder, log) : undefined;
    const services = new Informer<Service>({ store, resource: 'services', logger: log.child({ informer: 'services' }) });
    const endpoints = new Informer<Endpoints>({ store, resource: 'endpoints', logger: log.child({ informer: 'endpoints' }) });
    const proxy = new ServiceProxy({ ...opts.proxy, bindAddress, services, endpoints, events: recorder, logger: log, portals });
    services.addEventHandler(proxy.serviceHandlers);
    endpoints.addEventHandler(proxy.endpointsHandlers);
    services.start();
    endpoints.start();
    const synced = Promise.all([services.waitForSync(), endpoints.waitForSync()]).then(([a, b]) => {
      // Listeners open once both caches are listed: never a service served with endpoints not yet read.
      if (a && b) proxy.start();
      return a && b;
    });

    const health = await serveHealth({
      host: healthzAddress,
      port: opts.healthzPort ?? DEFAULT_HEALTHZ_PORT,
      logger: log,
      checks: () => {
        const ports = proxy.status();
        const ok = services.hasSynced() && endpoints.hasSynced();
        return {
          ok,
          detail: {
            synced: ok,
            bindAddress,
            listening: ports.filter((p) => p.listening).length,
            notListening: ports.filter((p) => !p.listening).map((p) => `${p.namespace}/${p.service}:${p.port}${p.protocol === 'UDP' ? '/UDP' : ''}`),
          },
        };
      },
    });
    const unexpose = exposeProxyMetrics(() => proxy.status());
    log.info({ bindAddress, healthz: health.url }, 'proxy serving');

    let stopped: Promise<void> | undefined;
    return {
      proxy,
      health,
      bindAddress,
      synced,
      stop: () =>
        (stopped ??= (async () => {
          await Promise.all([services.stop(), endpoints.stop()]);
          // The routes and rules go with the agent: nothing of it is left on the host.
          await routes?.stop();
          await proxy.stop();
          // The rules go with the proxy: nothing of this minion's is left in the nat table.
          await proxy.portalRulesSynced();
          await portals?.remove();
          unexpose();
          await health.close();
          await recorder.flush();
          await ownedStore?.close();
        })()),
    };
  } catch (e) {
    await ownedStore?.close();
    throw e;
  }
}

/** This minion's portal rules, checked (iptables usable) and with the portal network routed on this host. */
async function portalRulesFor(opts: RunProxyOptions, minion: Minion): Promise<PortalRules> {
  const podCIDR = minion.spec?.podCIDR;
  if (!podCIDR) throw new Error(`minion ${opts.minion} has no spec.podCIDR: portal IPs need the pod network to catch its pods' packets`);
  const rules = new PortalRules({ minion: opts.minion, podCIDR, iptables: opts.iptables });
  await rules.check();
  await ensurePortalRoute(opts.portalNet!);
  return rules;
}

/** The pod routes agent over a minion cache of its own, started once the cache has synced. */
async function podRoutesFor(opts: RunProxyOptions, store: ObjectStore, owned: Registry | undefined, recorder: EventRecorder, log: Logger): Promise<{ stop(): Promise<void> }> {
  const clusterCidr = opts.clusterCidr ?? (owned && (await PodCidrAllocator.storedRange(owned.storage)))?.cluster;
  if (!clusterCidr) throw new Error('--pod-routes needs the cluster CIDR: none is stored yet (start the API server first) and --cluster-cidr was not given');
  const minions = new Informer<Minion>({ store, resource: 'minions', logger: log.child({ informer: 'minions' }) });
  const routes = new PodRoutes({ minion: opts.minion, clusterCidr, minions, store, recorder, iptables: opts.iptables, logger: log.child({ part: 'pod-routes' }) });
  minions.start();
  void minions.waitForSync().then((ok) => ok && routes.start());
  return {
    stop: async () => {
      await minions.stop();
      await routes.stop();
    },
  };
}

/** The Minion object, waiting (with backoff) for the kubelet to register and describe it (its service address comes with its first heartbeat). */
async function waitForMinion(store: ObjectStore, name: string, log: Logger, signal?: AbortSignal): Promise<Minion> {
  const backoff = new Backoff({ initialMs: 200, maxMs: 5000 });
  for (;;) {
    if (signal?.aborted) throw new Error(`stopped while waiting for minion ${name}`);
    try {
      const minion = await store.get<Minion>('minions', undefined, name);
      if (minionDescribed(minion)) return minion;
      log.info('minion registered, not yet described by its kubelet; waiting');
      await realClock.sleep(backoff.nextDelay(), signal);
    } catch (e) {
      const delay = backoff.nextDelay();
      if (e instanceof NotFoundError) log.info({ retryInMs: Math.round(delay) }, 'minion not registered yet; waiting');
      else log.warn({ err: (e as Error).message, retryInMs: Math.round(delay) }, 'cannot read minion; retrying');
      await realClock.sleep(delay, signal);
    }
  }
}
