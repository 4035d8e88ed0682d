// The API server's own Prometheus families, in the process registry beside prom-client's defaults:
// requests by verb, resource and code with a latency histogram, and the watches open per resource.
// Names and labels follow Kubernetes' apiserver_* families, so dashboards written for it read them.
import { Counter, Gauge, Histogram } from 'prom-client';
import { processMetrics } from '@coxswain/process';
import type { WatchStream } from './watch-stream';

const requests = new Counter({
  name: 'apiserver_request_total',
  help: 'Requests answered, by verb, resource and HTTP code.',
  labelNames: ['verb', 'resource', 'code'] as const,
  registers: [processMetrics],
});

const latency = new Histogram({
  name: 'apiserver_request_duration_seconds',
  help: 'Time to answer a request (a watch over HTTP: how long it stayed open), by verb and resource.',
  labelNames: ['verb', 'resource'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [processMetrics],
});

/** Every API server's open watches in this process (tests run several). */
const watchSets = new Set<ReadonlySet<WatchStream>>();

new Gauge({
  name: 'apiserver_registered_watchers',
  help: 'Watches open now, by resource.',
  labelNames: ['resource'] as const,
  registers: [processMetrics],
  collect() {
    this.reset();
    for (const set of watchSets) for (const w of set) this.inc({ resource: w.resource });
  },
});

const cutOff = new Counter({
  name: 'apiserver_watchers_cut_off_total',
  help: 'Watchers cut off because they held more unsent bytes than the cap (--watch-buffer-bytes), by transport.',
  labelNames: ['transport'] as const,
  registers: [processMetrics],
});

export function countCutOff(transport: 'http' | 'websocket'): void {
  cutOff.inc({ transport });
}

export function countWatches(open: ReadonlySet<WatchStream>): () => void {
  watchSets.add(open);
  return () => watchSets.delete(open);
}

/** Kubernetes' verb of a request: a GET is get, list or watch; the others by method. */
export function verbOf(method: string, url: string, hasName: boolean): string {
  if (method === 'GET') return /[?&]watch=(true|1)(&|$)|\/watch\//.test(url) ? 'WATCH' : hasName ? 'GET' : 'LIST';
  return ({ POST: 'POST', PUT: 'PUT', PATCH: 'PATCH', DELETE: 'DELETE' } as Record<string, string>)[method] ?? method;
}

export function recordRequest(verb: string, resource: string, code: number, seconds: number): void {
  requests.inc({ verb, resource, code: String(code) });
  latency.observe({ verb, resource }, seconds);
}

// etcd's database against its quota (etcd-quota.ts). Kubernetes' apiserver_storage_db_total_size_in_bytes, and two beside it.
const dbTotal = new Gauge({ name: 'apiserver_storage_db_total_size_in_bytes', help: "etcd's database file size (what its quota counts).", registers: [processMetrics] });
const dbInUse = new Gauge({ name: 'apiserver_storage_db_in_use_bytes', help: "The part of etcd's database file holding data; the rest is free pages a defragment would return.", registers: [processMetrics] });
const dbQuota = new Gauge({ name: 'apiserver_storage_quota_bytes', help: "etcd's --quota-backend-bytes as this API server was told it (--etcd-quota-bytes).", registers: [processMetrics] });

export function reportEtcdDb(r: { dbSizeBytes: number; dbSizeInUseBytes: number; quotaBytes: number }): void {
  dbTotal.set(r.dbSizeBytes);
  dbInUse.set(r.dbSizeInUseBytes);
  dbQuota.set(r.quotaBytes);
}
