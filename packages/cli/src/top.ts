// `kubecfg top pods|minions`: use from the Metrics API (metrics.k8s.io, the API server's pipeline over
// the kubelets' /stats/summary) beside what the pods ask for: requests and limits for pods, capacity
// for minions. A running pod or a minion without figures (its kubelet not answering, or started less
// than a housekeeping interval ago) reads <unknown>: never an old figure.
import { formatCpu, formatMemory, parseCpu, parseMemory } from '@coxswain/objects';
import { CliError } from './cli-error';
import type { CommandContext } from './command-context';
import { print } from './command-context';
import type { JsonObject } from '@coxswain/objects';
import { formatTable, KUBECTL_TABLE } from './tab-writer';

const UNKNOWN = '<unknown>';

/** Metrics quantities: CPU as nanocores ("997000000n") or any CPU form; memory as "49152Ki" or any memory form. */
function cpuMillicores(q: string): number {
  return q.endsWith('n') ? Number(q.slice(0, -1)) / 1e6 : q.endsWith('u') ? Number(q.slice(0, -1)) / 1e3 : parseCpu(q);
}

const mi = (bytes: number) => `${Math.round(bytes / 2 ** 20)}Mi`;
const m = (millicores: number) => `${Math.round(millicores)}m`;

interface Usage {
  cpu: number;
  memory: number;
}

function sumUsage(containers: unknown): Usage {
  let cpu = 0;
  let memory = 0;
  for (const c of (containers as Array<{ usage?: { cpu?: string; memory?: string } }>) ?? []) {
    cpu += cpuMillicores(c.usage?.cpu ?? '0');
    memory += parseMemory(c.usage?.memory ?? '0');
  }
  return { cpu, memory };
}

/** The sum over a pod's containers of one resource's requests or limits; '-' when none sets it. */
function podResource(pod: JsonObject, kind: 'requests' | 'limits', resource: 'cpu' | 'memory'): string {
  const containers = ((pod.spec as JsonObject | undefined)?.containers as Array<{ resources?: Record<string, Record<string, string>> }>) ?? [];
  const values = containers.map((c) => c.resources?.[kind]?.[resource]).filter((v): v is string => v !== undefined);
  if (!values.length) return '-';
  return resource === 'cpu' ? formatCpu(values.reduce((a, v) => a + parseCpu(v), 0)) : formatMemory(values.reduce((a, v) => a + parseMemory(v), 0));
}

const noMetricsApi = () =>
  new CliError('error: Metrics API not available: the API server serves metrics.k8s.io only with --metric-resolution above 0 (the default is 15s)');

export async function topPods(ctx: CommandContext, opts: { labelSelector?: string; allNamespaces?: boolean }): Promise<void> {
  const [metrics, pods] = await Promise.all([ctx.client.metrics('pods', opts), ctx.client.list('v1', 'pods', opts)]);
  if (!metrics) throw noMetricsApi();
  const key = (o: JsonObject) => `${(o.metadata as JsonObject).namespace}/${(o.metadata as JsonObject).name}`;
  const usage = new Map(metrics.map((pm) => [key(pm), sumUsage(pm.containers)]));
  const running = pods.items.filter((p) => (p.status as JsonObject | undefined)?.phase === 'Running');
  if (!running.length) return print(ctx, opts.allNamespaces ? 'No running pods found.' : `No running pods found in ${ctx.client.namespace} namespace.`);
  const header = ['NAME', 'CPU(cores)', 'CPU REQUESTS', 'CPU LIMITS', 'MEMORY(bytes)', 'MEMORY REQUESTS', 'MEMORY LIMITS'];
  const rows = running.map((p) => {
    const u = usage.get(key(p));
    const name = (p.metadata as JsonObject).name as string;
    return [
      ...(opts.allNamespaces ? [(p.metadata as JsonObject).namespace as string] : []),
      name,
      u ? m(u.cpu) : UNKNOWN,
      podResource(p, 'requests', 'cpu'),
      podResource(p, 'limits', 'cpu'),
      u ? mi(u.memory) : UNKNOWN,
      podResource(p, 'requests', 'memory'),
      podResource(p, 'limits', 'memory'),
    ];
  });
  print(ctx, formatTable([[...(opts.allNamespaces ? ['NAMESPACE'] : []), ...header], ...rows], KUBECTL_TABLE));
}

export async function topMinions(ctx: CommandContext, opts: { labelSelector?: string }): Promise<void> {
  const [metrics, minions] = await Promise.all([ctx.client.metrics('nodes', opts), ctx.client.list('v1', 'minions', { ...opts, allNamespaces: true })]);
  if (!metrics) throw noMetricsApi();
  const usage = new Map(metrics.map((nm) => [(nm.metadata as JsonObject).name as string, (nm.usage as { cpu: string; memory: string })]));
  const rows = minions.items.map((mn) => {
    const name = (mn.metadata as JsonObject).name as string;
    const capacity = ((mn.status as JsonObject | undefined)?.capacity as Record<string, string> | undefined) ?? {};
    const u = usage.get(name);
    const cpu = u && cpuMillicores(u.cpu);
    const memory = u && parseMemory(u.memory);
    const pct = (used: number | undefined, cap: number | undefined) => (used === undefined ? UNKNOWN : cap ? `${Math.round((100 * used) / cap)}%` : '-');
    return [
      name,
      cpu === undefined ? UNKNOWN : m(cpu),
      pct(cpu, capacity.cpu ? parseCpu(capacity.cpu) : undefined),
      memory === undefined ? UNKNOWN : mi(memory),
      pct(memory, capacity.memory ? parseMemory(capacity.memory) : undefined),
    ];
  });
  print(ctx, formatTable([['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%'], ...rows], KUBECTL_TABLE));
}
