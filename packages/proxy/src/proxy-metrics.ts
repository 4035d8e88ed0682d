// The proxy's per-service-port counters in the process's Prometheus registry (prom-client), read
// from the proxies' own counts at each scrape.
import { Counter, Gauge } from 'prom-client';
import { processMetrics } from '@coxswain/process';
import type { PortStatus } from './proxy';
import type { StatsSnapshot } from './service-stats';

interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  value: (p: PortStatus) => number;
  /** Families that mean something for one protocol only are left out for the other's ports. */
  only?: PortStatus['protocol'];
}

const stat = (k: keyof StatsSnapshot) => (p: PortStatus) => p.stats[k];

const FAMILIES: Family[] = [
  { name: 'coxswain_proxy_connections_total', type: 'counter', help: 'Client connections accepted (UDP: client sessions begun).', value: stat('connectionsTotal') },
  { name: 'coxswain_proxy_connections_active', type: 'gauge', help: 'Client connections open now (UDP: live client sessions).', value: stat('connectionsActive') },
  { name: 'coxswain_proxy_bytes_in_total', type: 'counter', help: 'Bytes received from clients.', value: stat('bytesIn') },
  { name: 'coxswain_proxy_bytes_out_total', type: 'counter', help: 'Bytes sent to clients.', value: stat('bytesOut') },
  { name: 'coxswain_proxy_errors_total', type: 'counter', help: 'Client connections that failed (no endpoint accepted, or a socket error).', value: stat('errors') },
  {
    name: 'coxswain_proxy_endpoint_connect_failures_total',
    type: 'counter',
    help: 'Endpoint connects refused or timed out (each retried on the next endpoint).',
    value: stat('connectFailures'),
  },
  { name: 'coxswain_proxy_datagrams_in_total', type: 'counter', help: 'UDP datagrams received from clients.', value: stat('datagramsIn'), only: 'UDP' },
  { name: 'coxswain_proxy_datagrams_out_total', type: 'counter', help: 'UDP datagrams sent back to clients.', value: stat('datagramsOut'), only: 'UDP' },
  {
    name: 'coxswain_proxy_datagrams_dropped_total',
    type: 'counter',
    help: 'UDP datagrams dropped (no endpoint left, or a send queue full).',
    value: stat('datagramsDropped'),
    only: 'UDP',
  },
  { name: 'coxswain_proxy_endpoints', type: 'gauge', help: 'Ready endpoints of the service port.', value: (p) => p.endpoints },
  { name: 'coxswain_proxy_listener_up', type: 'gauge', help: '1 when the service port is bound.', value: (p) => (p.listening ? 1 : 0) },
];

/** The proxies of this process whose ports are counted (a test runs several). */
const sources = new Set<() => readonly PortStatus[]>();

const LABELS = ['namespace', 'service', 'port', 'protocol'] as const;

for (const f of FAMILIES) {
  const config = {
    name: f.name,
    help: f.help,
    labelNames: LABELS,
    registers: [processMetrics],
    collect(this: Counter<(typeof LABELS)[number]> | Gauge<(typeof LABELS)[number]>) {
      this.reset();
      for (const source of sources) {
        for (const p of source()) {
          if (f.only && p.protocol !== f.only) continue;
          this.inc({ namespace: p.namespace, service: p.service, port: p.port, protocol: p.protocol }, f.value(p));
        }
      }
    },
  };
  if (f.type === 'counter') new Counter(config);
  else new Gauge(config);
}

/** Counts a proxy's service ports in /metrics until the returned function is called. */
export function exposeProxyMetrics(status: () => readonly PortStatus[]): () => void {
  sources.add(status);
  return () => sources.delete(status);
}
