// The seed era's service discovery: every container gets environment variables for every service
// that exists when it starts, in the Docker-links style of 2014. They point to the service's portal
// IP (its own cluster-wide address, redirected by every minion's proxy) at the service's port; a
// service without one (no --portal-net) to where the minion's proxy serves it, the pod network's gateway.
import type { Service } from '@coxswain/objects';

/** `redis-master` -> `REDIS_MASTER`. */
export function serviceEnvName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

export function serviceEnv(services: Service[], proxyHost: string): Record<string, string> {
  const env: Record<string, string> = {};
  // Sorted, so the variables (and anything derived from them) do not depend on list order.
  for (const svc of [...services].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const first = svc.spec?.ports?.[0];
    if (!first) continue;
    const name = serviceEnvName(svc.metadata.name);
    const host = svc.spec.clusterIP || proxyHost;
    const proto = (first.protocol ?? 'TCP').toLowerCase();
    const port = String(first.port);
    const url = `${proto}://${host}:${port}`;
    env[`${name}_SERVICE_HOST`] = host;
    env[`${name}_SERVICE_PORT`] = port;
    env[`${name}_PORT`] = url;
    for (const p of svc.spec.ports) {
      const pproto = (p.protocol ?? 'TCP').toLowerCase();
      const prefix = `${name}_PORT_${p.port}_${pproto.toUpperCase()}`;
      env[prefix] = `${pproto}://${host}:${p.port}`;
      env[`${prefix}_PROTO`] = pproto;
      env[`${prefix}_PORT`] = String(p.port);
      env[`${prefix}_ADDR`] = host;
    }
  }
  return env;
}
