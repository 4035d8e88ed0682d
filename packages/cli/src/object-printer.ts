// kubectl-style output for internal (v1-shaped) objects: tables (`-o wide` adds columns), `name`,
// `json` and `yaml`. `get -w` prints the header once and then one row per change.
import YAML from 'yaml';
import type { ResourceName } from '@coxswain/objects';
import { arr, field, formatLabels, imagesOf, isObject, num, str } from './object-fields';
import { formatTable, KUBECTL_TABLE } from './tab-writer';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === '') return 'table';
  if (['wide', 'json', 'yaml', 'name'].includes(value)) return value as OutputFormat;
  throw new Error(`unknown output format "${value}": use one of wide, json, yaml, name`);
}

/** How long ago, as kubectl says it: 45s, 12m, 5h, 3d. */
export function formatAge(timestamp: string, now: number): string {
  const t = Date.parse(timestamp);
  if (!timestamp || Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** A pod's STATUS column: a container's waiting/terminated reason (CrashLoopBackOff, ErrImagePull) wins over the phase. */
export function podStatusReason(pod: unknown): string {
  for (const cs of arr(pod, 'status.containerStatuses')) {
    const waiting = str(cs, 'state.waiting.reason');
    if (waiting && waiting !== 'ContainerCreating') return waiting;
    const terminated = str(cs, 'state.terminated.reason');
    if (terminated) return terminated;
  }
  return str(pod, 'status.reason') || str(pod, 'status.phase') || 'Pending';
}

function podReady(pod: unknown): string {
  const statuses = arr(pod, 'status.containerStatuses');
  const total = arr(pod, 'spec.containers').length;
  if (statuses.length === 0) {
    // No container statuses yet: the pod's Ready condition is all there is to go on.
    const cond = arr(pod, 'status.conditions').find((c) => str(c, 'type') === 'Ready');
    return `${cond && str(cond, 'status') === 'True' ? total : 0}/${total}`;
  }
  const ready = statuses.filter((cs) => isObject(cs) && cs.ready === true).length;
  return `${ready}/${total}`;
}

function podRestarts(pod: unknown): string {
  return String(arr(pod, 'status.containerStatuses').reduce<number>((n, cs) => n + (num(cs, 'restartCount') ?? 0), 0));
}

function servicePorts(svc: unknown): string {
  return arr(svc, 'spec.ports')
    .map((p) => `${str(p, 'port')}/${str(p, 'protocol') || 'TCP'}`)
    .join(',');
}

function minionReady(m: unknown): string {
  const ready = arr(m, 'status.conditions').find((c) => str(c, 'type') === 'Ready');
  const status = !ready ? 'Unknown' : str(ready, 'status') === 'True' ? 'Ready' : 'NotReady';
  return field(m, 'spec.unschedulable') === true ? `${status},SchedulingDisabled` : status;
}

function endpointsList(ep: unknown): string {
  const out: string[] = [];
  for (const subset of arr(ep, 'subsets')) {
    const ports = arr(subset, 'ports');
    for (const a of arr(subset, 'addresses')) {
      if (ports.length === 0) out.push(str(a, 'ip'));
      for (const p of ports) out.push(`${str(a, 'ip')}:${str(p, 'port')}`);
    }
  }
  if (out.length === 0) return '<none>';
  return out.length > 3 ? `${out.slice(0, 3).join(',')} + ${out.length - 3} more...` : out.join(',');
}

interface Columns {
  header: string[];
  wide: string[];
  row(obj: unknown, now: number): string[];
  wideRow(obj: unknown): string[];
}

const age = (o: unknown, now: number) => formatAge(str(o, 'metadata.creationTimestamp'), now);
const name = (o: unknown) => str(o, 'metadata.name');

const COLUMNS: Record<ResourceName, Columns> = {
  pods: {
    header: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    wide: ['IP', 'NODE'],
    row: (p, now) => [name(p), podReady(p), podStatusReason(p), podRestarts(p), age(p, now)],
    wideRow: (p) => [str(p, 'status.podIP') || '<none>', str(p, 'spec.nodeName') || '<none>'],
  },
  replicationControllers: {
    header: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row: (rc, now) => [
      name(rc),
      String(num(rc, 'spec.replicas') ?? 0),
      String(num(rc, 'status.replicas') ?? 0),
      String(num(rc, 'status.readyReplicas') ?? 0),
      age(rc, now),
    ],
    wideRow: (rc) => {
      const containers = arr(rc, 'spec.template.spec.containers');
      return [containers.map((c) => str(c, 'name')).join(','), imagesOf(containers), formatLabels(field(rc, 'spec.selector'))];
    },
  },
  deployments: {
    header: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row: (d, now) => [
      name(d),
      `${num(d, 'status.readyReplicas') ?? 0}/${num(d, 'spec.replicas') ?? 0}`,
      String(num(d, 'status.updatedReplicas') ?? 0),
      String(num(d, 'status.availableReplicas') ?? 0),
      age(d, now),
    ],
    wideRow: (d) => {
      const containers = arr(d, 'spec.template.spec.containers');
      return [containers.map((c) => str(c, 'name')).join(','), imagesOf(containers), formatLabels(field(d, 'spec.selector.matchLabels'))];
    },
  },
  horizontalpodautoscalers: {
    // kubectl's columns for autoscaling/v1.
    header: ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE'],
    wide: [],
    row: (h, now) => {
      const current = num(h, 'status.currentCPUUtilizationPercentage');
      return [
        name(h),
        `${str(h, 'spec.scaleTargetRef.kind')}/${str(h, 'spec.scaleTargetRef.name')}`,
        `${current === undefined ? '<unknown>' : `${current}%`}/${num(h, 'spec.targetCPUUtilizationPercentage') ?? 80}%`,
        String(num(h, 'spec.minReplicas') ?? 1),
        String(num(h, 'spec.maxReplicas') ?? 0),
        String(num(h, 'status.currentReplicas') ?? 0),
        age(h, now),
      ];
    },
    wideRow: () => [],
  },
  services: {
    header: ['NAME', 'PORT(S)', 'SELECTOR', 'AGE'],
    wide: ['CLUSTER-IP', 'LABELS'],
    row: (s, now) => [name(s), servicePorts(s), formatLabels(field(s, 'spec.selector')) || '<none>', age(s, now)],
    wideRow: (s) => [str(s, 'spec.clusterIP') || '<none>', formatLabels(field(s, 'metadata.labels')) || '<none>'],
  },
  minions: {
    header: ['NAME', 'STATUS', 'AGE'],
    wide: ['INTERNAL-IP', 'POD-CIDR'],
    row: (m, now) => [name(m), minionReady(m), age(m, now)],
    wideRow: (m) => {
      const ip = arr(m, 'status.addresses').find((a) => str(a, 'type') === 'InternalIP');
      return [ip ? str(ip, 'address') : '<none>', str(m, 'spec.podCIDR') || '<none>'];
    },
  },
  endpoints: {
    header: ['NAME', 'ENDPOINTS', 'AGE'],
    wide: [],
    row: (e, now) => [name(e), endpointsList(e), age(e, now)],
    wideRow: () => [],
  },
  events: {
    header: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    wide: ['SOURCE', 'COUNT'],
    row: (e, now) => [
      formatAge(str(e, 'lastTimestamp') || str(e, 'metadata.creationTimestamp'), now),
      str(e, 'type'),
      str(e, 'reason'),
      `${str(e, 'involvedObject.kind').toLowerCase()}/${str(e, 'involvedObject.name')}`,
      str(e, 'message'),
    ],
    wideRow: (e) => [str(e, 'source.component'), str(e, 'count')],
  },
  // kubectl's columns: what the namespace uses against each limit.
  resourcequotas: {
    header: ['NAME', 'AGE', 'REQUEST'],
    wide: [],
    row: (q, now) => {
      const used = (field(q, 'status.used') ?? {}) as Record<string, string>;
      const hard = (field(q, 'spec.hard') ?? {}) as Record<string, string>;
      return [name(q), age(q, now), Object.keys(hard).sort().map((k) => `${k}: ${used[k] ?? '0'}/${hard[k]}`).join(', ')];
    },
    wideRow: () => [],
  },
  limitranges: {
    header: ['NAME', 'CREATED AT'],
    wide: [],
    row: (l) => [name(l), str(l, 'metadata.creationTimestamp')],
    wideRow: () => [],
  },
  // kubectl's columns: the count of keys, never a value.
  configmaps: {
    header: ['NAME', 'DATA', 'AGE'],
    wide: [],
    row: (c, now) => [name(c), String(keyCount(c, 'data') + keyCount(c, 'binaryData')), age(c, now)],
    wideRow: () => [],
  },
  secrets: {
    header: ['NAME', 'TYPE', 'DATA', 'AGE'],
    wide: [],
    row: (s, now) => [name(s), str(s, 'type') || 'Opaque', String(keyCount(s, 'data')), age(s, now)],
    wideRow: () => [],
  },
};

function keyCount(obj: unknown, path: string): number {
  return Object.keys((field(obj, path) ?? {}) as object).length;
}

/** withNamespace (`get -A`): kubectl's NAMESPACE column first. */
export function tableRows(resource: ResourceName, objects: readonly unknown[], wide: boolean, now: number, withNamespace = false): string[][] {
  const cols = COLUMNS[resource];
  return objects.map((o) => {
    const row = wide ? [...cols.row(o, now), ...cols.wideRow(o)] : cols.row(o, now);
    return withNamespace ? [str(o, 'metadata.namespace'), ...row] : row;
  });
}

export function tableHeader(resource: ResourceName, wide: boolean, withNamespace = false): string[] {
  const cols = COLUMNS[resource];
  const header = wide ? [...cols.header, ...cols.wide] : cols.header;
  return withNamespace ? ['NAMESPACE', ...header] : header;
}

/** `pod/redis-master-2`: kubectl's `-o name` and apply's result lines. */
export function objectRef(kind: string, objectName: string): string {
  return `${kind.toLowerCase()}/${objectName}`;
}

export function printObjects(resource: ResourceName, kind: string, objects: readonly unknown[], format: OutputFormat, now: number, withNamespace = false): string {
  switch (format) {
    case 'json':
      return JSON.stringify(objects.length === 1 ? objects[0] : { kind: 'List', apiVersion: 'v1', items: objects }, null, 2) + '\n';
    case 'yaml':
      return YAML.stringify(objects.length === 1 ? objects[0] : { kind: 'List', apiVersion: 'v1', items: objects });
    case 'name':
      return objects.map((o) => objectRef(kind, name(o)) + '\n').join('');
    default: {
      if (objects.length === 0) return '';
      const wide = format === 'wide';
      return formatTable([tableHeader(resource, wide, withNamespace), ...tableRows(resource, objects, wide, now, withNamespace)], KUBECTL_TABLE);
    }
  }
}
