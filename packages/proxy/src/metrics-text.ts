// The proxy's counters in the Prometheus text exposition format (version 0.0.4): a few lines, so no
// client library is needed.
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

export function metricsText(ports: readonly PortStatus[]): string {
  const lines: string[] = [];
  for (const f of FAMILIES) {
    const some = f.only ? ports.filter((p) => p.protocol === f.only) : ports;
    if (f.only && !some.length) continue;
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const p of some) {
      const labels = `namespace="${esc(p.namespace)}",service="${esc(p.service)}",port="${esc(p.port)}",protocol="${p.protocol}"`;
      lines.push(`${f.name}{${labels}} ${f.value(p)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
