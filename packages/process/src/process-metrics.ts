// Every process's Prometheus registry (prom-client): the library's default process metrics (CPU,
// memory, event loop lag, GC, handles) and whatever the process's own parts register beside them.
// Exposed at /metrics by the health server (and by the API server on its own port).
import { collectDefaultMetrics, Registry } from 'prom-client';

export const processMetrics = new Registry();
collectDefaultMetrics({ register: processMetrics });

/** The exposition text of the process's registry, with `extra` families (hand-counted ones) after it. */
export async function metricsExposition(extra = ''): Promise<string> {
  const own = await processMetrics.metrics();
  return extra ? `${own.trimEnd()}\n${extra}` : own;
}

export const METRICS_CONTENT_TYPE = processMetrics.contentType;
