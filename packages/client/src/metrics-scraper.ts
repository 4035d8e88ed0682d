// The metrics pipeline (metrics-server's part): every resolution interval it fetches each minion's
// kubelet /stats/summary (the minions from an informer of its own, as metrics-server's node lister:
// a LIST of every Minion each pass cost the API server more than the 1,000 summaries' parse), keeps
// only the latest figures in memory (no etcd write per sample), and
// answers what the API server's metrics.k8s.io serves and what the autoscaler reads. A kubelet that
// does not answer loses its figures at once: its pods read as unknown, never as the last figures seen.
import * as http from 'node:http';
import * as https from 'node:https';
import { kubeletAuthHeaders } from './kubelet-credential';
import type { Minion, ObjectStore } from '@coxswain/objects';
import { realClock, type Clock } from '@coxswain/objects';
import { Informer } from './informer';
import { PeriodicTask } from './periodic-task';
import type { Logger } from '@coxswain/process';

export const DEFAULT_METRICS_RESOLUTION_MS = 15_000;

/** What one kubelet's /stats/summary carries that the pipeline reads (Kubernetes' summary API; `?only_usage=true` sends only this). */
interface KubeletSummary {
  node?: { cpu?: { time?: string; usageNanoCores?: number }; memory?: { time?: string; workingSetBytes?: number } };
  pods?: Array<{
    podRef: { name: string; namespace: string };
    containers?: Array<{ name: string; cpu?: { time?: string; usageNanoCores?: number }; memory?: { time?: string; workingSetBytes?: number } }>;
  }>;
}

export interface Usage {
  cpuNanoCores: number;
  memoryBytes: number;
}

export interface NodeSample {
  minion: string;
  timestamp: string;
  usage: Usage;
}

export interface PodSample {
  namespace: string;
  name: string;
  timestamp: string;
  containers: Array<{ name: string; usage: Usage }>;
}

/** What the Metrics API reads. */
export interface MetricsSource {
  /** The window the figures are averaged over, e.g. "15s". */
  readonly window: string;
  nodes(): NodeSample[];
  pods(): PodSample[];
}

export interface MetricsScraperOptions {
  store: ObjectStore;
  intervalMs?: number;
  /** One kubelet's answer within this long, or its figures are dropped (default 5 s). */
  timeoutMs?: number;
  clock?: Clock;
  log?: Logger;
  /** The kubelets' bearer secret (kubelet-credential.ts); without it a kubelet that demands one answers 401. */
  kubeletCredential?: string;
}

/** How the last pass went: minions listed, kubelets that answered, and the first failure's reason. */
export interface ScrapePass {
  minions: number;
  answered: number;
  error?: string;
}

interface Samples {
  node?: NodeSample;
  pods: PodSample[];
}

/**
 * One kubelet's last answer, kept as the bytes it sent and decoded when first read. In the API server
 * a pass's decoded figures (20,000 pods' objects at 1,000 minions) outlived the young generation and
 * were promoted, so every pass grew the old generation that holds the watch cache, and its garbage
 * collection was the largest cost of the scrape; one Buffer a minion lives outside the heap. A
 * reader (`top`, an autoscaler's pass) decodes a pass once; a pass nobody reads is never decoded.
 */
interface Scraped {
  body: Buffer;
  samples?: Samples;
}

export class MetricsScraper implements MetricsSource {
  readonly window: string;
  private readonly intervalMs: number;
  private byMinion = new Map<string, Scraped>();
  /** Each kubelet endpoint's request, kept from one pass to the next. */
  private targets = new Map<string, SummaryTarget>();
  private last?: ScrapePass;
  private readonly task: PeriodicTask;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly headers: Record<string, string>;
  /** Started by the first pass, stopped by stop(); a stopped Informer cannot start again, so each run gets its own. */
  private minions?: Informer<Minion>;

  constructor(private readonly opts: MetricsScraperOptions) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_METRICS_RESOLUTION_MS;
    this.window = `${Math.round(this.intervalMs / 1000)}s`;
    this.headers = kubeletAuthHeaders(opts.kubeletCredential);
    this.task = new PeriodicTask(() => this.scrapeAll(), this.intervalMs, opts.clock ?? realClock);
  }

  start(): void {
    this.task.start();
  }

  async stop(): Promise<void> {
    // No pass starts after this; the one running may be waiting for the informer's first list (the
    // store unreachable), which stopping the informer ends.
    const passes = this.task.stop();
    await this.minions?.stop();
    this.minions = undefined;
    await passes;
    // Idle kept-alive connections would hold the kubelets' sockets (and this process) open.
    this.agent.destroy();
  }

  /** One pass over every minion (a pass still running is not doubled). */
  scrape(): Promise<void> {
    return this.task.runNow();
  }

  lastPass(): ScrapePass | undefined {
    return this.last;
  }

  nodes(): NodeSample[] {
    return [...this.byMinion].flatMap(([minion, scraped]) => {
      const node = this.samplesOf(minion, scraped).node;
      return node ? [node] : [];
    });
  }

  pods(): PodSample[] {
    return [...this.byMinion].flatMap(([minion, scraped]) => this.samplesOf(minion, scraped).pods);
  }

  /** A minion's figures, decoded on first read; an answer that is not a summary has none. */
  private samplesOf(minion: string, scraped: Scraped): Samples {
    if (!scraped.samples) {
      try {
        scraped.samples = toSamples(minion, JSON.parse(scraped.body.toString('utf8')) as KubeletSummary);
      } catch (e) {
        this.opts.log?.info({ minion, err: (e as Error).message }, 'metrics: the kubelet\'s summary does not parse; its figures are dropped');
        scraped.samples = { pods: [] };
      }
    }
    return scraped.samples;
  }

  private async scrapeAll(): Promise<void> {
    this.minions ??= new Informer<Minion>({ store: this.opts.store, resource: 'minions', clock: this.opts.clock, logger: this.opts.log, name: 'metrics-minions' }).start();
    // The informer retries its list by itself; a pass before it has one has nothing to scrape.
    if (!(await this.minions.waitForSync())) return;
    const minions = this.minions.list();
    const next = new Map<string, Scraped>();
    const pass: ScrapePass = { minions: minions.length, answered: 0 };
    // One deadline for the pass rather than two timers a request: at 1,000 kubelets the per-request
    // timers were a third of the scrape's CPU (docs/benchmarks.md). A kubelet still silent when it
    // fires has its request destroyed, which fails that kubelet alone.
    const timeoutMs = this.opts.timeoutMs ?? 5000;
    const inFlight = new Set<http.ClientRequest>();
    const deadline = setTimeout(() => {
      for (const req of inFlight) req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const targets = new Map<string, SummaryTarget>();
    try {
      await Promise.all(
        minions.map(async (m) => {
          const endpoint = m.status?.kubeletEndpoint;
          if (!endpoint) return;
          try {
            const target = this.targets.get(endpoint) ?? summaryTarget(endpoint, this.agent, this.headers);
            targets.set(endpoint, target);
            next.set(m.metadata.name, { body: await this.fetchSummary(target, inFlight) });
            pass.answered++;
          } catch (e) {
            pass.error ??= (e as Error).message;
            this.opts.log?.info({ minion: m.metadata.name, err: (e as Error).message }, 'metrics: kubelet did not answer; its figures are dropped');
          }
        }),
      );
    } finally {
      clearTimeout(deadline);
    }
    this.targets = targets;
    this.byMinion = next;
    this.last = pass;
  }

  /**
   * node:http with one keep-alive agent rather than fetch: at 1,000 kubelets a scrape is 67 requests
   * a second, and fetch (undici) costs about three times the CPU per request (docs/benchmarks.md).
   */
  private fetchSummary(target: SummaryTarget, inFlight: Set<http.ClientRequest>): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const request = target.https ? https.request : http.request;
      const req = request(target.options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`${target.url}: HTTP ${res.statusCode}`));
          // A summary mostly arrives in one read: keep that Buffer rather than copy it.
          resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
        });
      });
      inFlight.add(req);
      req.on('close', () => inFlight.delete(req));
      req.on('error', (e) => reject(new Error(`${target.url}: ${e.message}`)));
      req.end();
    });
  }
}

/** How one kubelet's summary is asked for: its request options, made once per endpoint rather than once a request. */
interface SummaryTarget {
  url: string;
  https: boolean;
  options: http.RequestOptions;
}

/** http kubelets share the scraper's keep-alive agent; https ones use node's default agent. */
function summaryTarget(endpoint: string, agent: http.Agent, headers: Record<string, string>): SummaryTarget {
  // Only what is read here: a third of the bytes, so a third of the parse (kubelet stats-collector.ts).
  const url = new URL(`${endpoint}/stats/summary?only_usage=true`);
  const secure = url.protocol === 'https:';
  return {
    url: url.href,
    https: secure,
    options: {
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || undefined,
      path: url.pathname + url.search,
      agent: secure ? undefined : agent,
      headers,
    },
  };
}

/** A pod or node without a CPU rate yet (one reading so far) is left out, as metrics-server does. */
function toSamples(minion: string, s: KubeletSummary): Samples {
  const nodeCpu = s.node?.cpu?.usageNanoCores;
  const node = nodeCpu === undefined ? undefined : { minion, timestamp: s.node!.cpu!.time ?? new Date().toISOString(), usage: { cpuNanoCores: nodeCpu, memoryBytes: s.node?.memory?.workingSetBytes ?? 0 } };
  const pods: PodSample[] = [];
  for (const p of s.pods ?? []) {
    const containers = (p.containers ?? []).map((c) => ({ name: c.name, cpu: c.cpu?.usageNanoCores, memory: c.memory?.workingSetBytes ?? 0, time: c.cpu?.time }));
    if (!containers.length || containers.some((c) => c.cpu === undefined)) continue;
    pods.push({
      namespace: p.podRef.namespace,
      name: p.podRef.name,
      timestamp: containers[0].time ?? new Date().toISOString(),
      containers: containers.map((c) => ({ name: c.name, usage: { cpuNanoCores: c.cpu!, memoryBytes: c.memory } })),
    });
  }
  return { node, pods };
}
