// What `get` shows of each kind: kubectl's columns, one definition for the API server's
// meta.k8s.io Tables (what kubectl prints) and for kubecfg's own tables. Cells are computed from the
// internal (v1-shaped) object. Priority 1 columns are the ones `-o wide` adds.
import { arr, field, formatLabels, imagesOf, isObject, num, str } from './object-fields';
import type { ResourceName } from './resources';

export interface TableColumn {
  name: string;
  /** OpenAPI type of the cells, as a meta.k8s.io TableColumnDefinition says it. */
  type: 'string' | 'integer';
  /** `name` marks the column holding the object's name (kubectl uses it for `-o name`-like output). */
  format: '' | 'name';
  description: string;
  /** 0: always shown; 1: shown with `-o wide`. */
  priority: 0 | 1;
}

interface ColumnDef extends TableColumn {
  cell(obj: unknown, now: number): string | number;
  /** For a cell that is a time since (AGE): the timestamp it counts from. */
  since?(obj: unknown): string;
}

/** A cell as it stands apart from the clock: its value, or the timestamp an age is counted from. */
export type CellTemplate = string | number | { since: string };

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

/** A pod's STATUS column: Terminating once deleted; a container's waiting/terminated reason (CrashLoopBackOff, ErrImagePull) wins over the phase. */
export function podStatusReason(pod: unknown): string {
  if (str(pod, 'metadata.deletionTimestamp')) return 'Terminating';
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

function podRestarts(pod: unknown): number {
  return arr(pod, 'status.containerStatuses').reduce<number>((n, cs) => n + (num(cs, 'restartCount') ?? 0), 0);
}

function servicePorts(svc: unknown): string {
  const ports = arr(svc, 'spec.ports').map((p) => {
    const nodePort = num(p, 'nodePort');
    return `${str(p, 'port')}${nodePort ? `:${nodePort}` : ''}/${str(p, 'protocol') || 'TCP'}`;
  });
  return ports.length ? ports.join(',') : '<none>';
}

function minionReady(m: unknown): string {
  const ready = arr(m, 'status.conditions').find((c) => str(c, 'type') === 'Ready');
  const status = !ready ? 'Unknown' : str(ready, 'status') === 'True' ? 'Ready' : 'NotReady';
  return field(m, 'spec.unschedulable') === true ? `${status},SchedulingDisabled` : status;
}

function minionAddress(m: unknown, type: string): string {
  const a = arr(m, 'status.addresses').find((x) => str(x, 'type') === type);
  return a ? str(a, 'address') : '<none>';
}

function minionRoles(m: unknown): string {
  const labels = field(m, 'metadata.labels');
  const prefix = 'node-role.kubernetes.io/';
  const roles = isObject(labels) ? Object.keys(labels).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)) : [];
  return roles.length ? roles.sort().join(',') : '<none>';
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

const orNone = (s: string) => s || '<none>';
const keyCount = (obj: unknown, path: string) => Object.keys((field(obj, path) ?? {}) as object).length;

// Column builders: a name, what it says, and how a cell is read.
const col = (name: string, description: string, cell: ColumnDef['cell'], priority: 0 | 1 = 0, type: TableColumn['type'] = 'string'): ColumnDef => ({
  name,
  type,
  format: '',
  description,
  priority,
  cell,
});
const NAME: ColumnDef = { ...col('Name', 'The object\'s name.', (o) => str(o, 'metadata.name')), format: 'name' };
/** A column of the time since a timestamp: its cells change with the clock, not with the object. */
const sinceCol = (name: string, description: string, since: (o: unknown) => string, priority: 0 | 1 = 0): ColumnDef => ({
  ...col(name, description, (o, now) => formatAge(since(o), now), priority),
  since,
});
const AGE = sinceCol('Age', 'Time since the object was created.', (o) => str(o, 'metadata.creationTimestamp'));
const containerNames = (path: string) => col('Containers', 'Names of the containers.', (o) => arr(o, path).map((c) => str(c, 'name')).join(','), 1);
const images = (path: string) => col('Images', 'Images of the containers.', (o) => imagesOf(arr(o, path)), 1);
const selector = (path: string) => col('Selector', 'The label selector.', (o) => orNone(formatLabels(field(o, path))), 1);

const COLUMNS: Partial<Record<ResourceName, ColumnDef[]>> = {
  pods: [
    NAME,
    col('Ready', 'Ready containers of all containers.', podReady),
    col('Status', 'The pod\'s phase, or why it is not running.', podStatusReason),
    col('Restarts', 'Container restarts.', podRestarts, 0, 'integer'),
    AGE,
    col('IP', 'The pod\'s IP.', (p) => orNone(str(p, 'status.podIP')), 1),
    col('Node', 'The minion it is bound to.', (p) => orNone(str(p, 'spec.nodeName')), 1),
    col('Nominated Node', 'Not used by Coxswain (no preemption).', () => '<none>', 1),
    col('Readiness Gates', 'Not used by Coxswain.', () => '<none>', 1),
  ],
  replicationControllers: [
    NAME,
    col('Desired', 'Replicas asked for.', (rc) => num(rc, 'spec.replicas') ?? 0, 0, 'integer'),
    col('Current', 'Replicas that exist.', (rc) => num(rc, 'status.replicas') ?? 0, 0, 'integer'),
    col('Ready', 'Replicas ready.', (rc) => num(rc, 'status.readyReplicas') ?? 0, 0, 'integer'),
    AGE,
    containerNames('spec.template.spec.containers'),
    images('spec.template.spec.containers'),
    selector('spec.selector'),
  ],
  deployments: [
    NAME,
    col('Ready', 'Ready replicas of those asked for.', (d) => `${num(d, 'status.readyReplicas') ?? 0}/${num(d, 'spec.replicas') ?? 0}`),
    col('Up-to-date', 'Replicas of the current template.', (d) => num(d, 'status.updatedReplicas') ?? 0, 0, 'integer'),
    col('Available', 'Replicas available.', (d) => num(d, 'status.availableReplicas') ?? 0, 0, 'integer'),
    AGE,
    containerNames('spec.template.spec.containers'),
    images('spec.template.spec.containers'),
    selector('spec.selector.matchLabels'),
  ],
  horizontalpodautoscalers: [
    NAME,
    col('Reference', 'What it scales.', (h) => `${str(h, 'spec.scaleTargetRef.kind')}/${str(h, 'spec.scaleTargetRef.name')}`),
    col('Targets', 'CPU use against the target.', (h) => {
      const current = num(h, 'status.currentCPUUtilizationPercentage');
      return `${current === undefined ? '<unknown>' : `${current}%`}/${num(h, 'spec.targetCPUUtilizationPercentage') ?? 80}%`;
    }),
    col('MinPods', 'Fewest replicas.', (h) => num(h, 'spec.minReplicas') ?? 1, 0, 'integer'),
    col('MaxPods', 'Most replicas.', (h) => num(h, 'spec.maxReplicas') ?? 0, 0, 'integer'),
    col('Replicas', 'Replicas now.', (h) => num(h, 'status.currentReplicas') ?? 0, 0, 'integer'),
    AGE,
  ],
  services: [
    NAME,
    col('Type', 'How the service is exposed.', (s) => str(s, 'spec.type') || 'ClusterIP'),
    col('Cluster-IP', 'The portal IP.', (s) => orNone(str(s, 'spec.clusterIP'))),
    col('External-IP', 'Addresses outside the cluster.', (s) => orNone(arr(s, 'spec.externalIPs').join(','))),
    col('Port(s)', 'Ports served.', servicePorts),
    AGE,
    selector('spec.selector'),
  ],
  minions: [
    NAME,
    col('Status', 'Ready, NotReady or Unknown; SchedulingDisabled when cordoned.', minionReady),
    col('Roles', 'node-role.kubernetes.io labels.', minionRoles),
    AGE,
    col('Version', 'The kubelet\'s version.', (m) => str(m, 'status.nodeInfo.kubeletVersion')),
    col('Internal-IP', 'The minion\'s address.', (m) => minionAddress(m, 'InternalIP'), 1),
    col('External-IP', 'An address outside the cluster.', (m) => minionAddress(m, 'ExternalIP'), 1),
    col('OS-Image', 'The host\'s OS.', (m) => orNone(str(m, 'status.nodeInfo.osImage')), 1),
    col('Kernel-Version', 'The host\'s kernel.', (m) => orNone(str(m, 'status.nodeInfo.kernelVersion')), 1),
    col('Container-Runtime', 'The container engine.', (m) => orNone(str(m, 'status.nodeInfo.containerRuntimeVersion')), 1),
  ],
  endpoints: [NAME, col('Endpoints', 'Addresses of the ready pods.', endpointsList), AGE],
  events: [
    sinceCol('Last Seen', 'Time since the event last happened.', (e) => str(e, 'lastTimestamp') || str(e, 'metadata.creationTimestamp')),
    col('Type', 'Normal or Warning.', (e) => str(e, 'type')),
    col('Reason', 'Why it happened.', (e) => str(e, 'reason')),
    col('Object', 'What it is about.', (e) => `${str(e, 'involvedObject.kind').toLowerCase()}/${str(e, 'involvedObject.name')}`),
    col('Message', 'What happened.', (e) => str(e, 'message')),
    col('Source', 'The component that saw it.', (e) => str(e, 'source.component'), 1),
    col('Count', 'How many times.', (e) => num(e, 'count') ?? 1, 1, 'integer'),
    { ...col('Name', 'The event\'s name.', (e) => str(e, 'metadata.name'), 1), format: 'name' },
  ],
  // kubectl's columns: what the namespace uses against each limit.
  resourcequotas: [
    NAME,
    AGE,
    col('Request', 'Use against each hard limit.', (q) => {
      const used = (field(q, 'status.used') ?? {}) as Record<string, string>;
      const hard = (field(q, 'spec.hard') ?? {}) as Record<string, string>;
      return Object.keys(hard).sort().map((k) => `${k}: ${used[k] ?? '0'}/${hard[k]}`).join(', ');
    }),
  ],
  // kubectl's columns: the count of keys, never a value.
  configmaps: [NAME, col('Data', 'Keys held.', (c) => keyCount(c, 'data') + keyCount(c, 'binaryData'), 0, 'integer'), AGE],
  secrets: [NAME, col('Type', 'The kind of secret.', (s) => str(s, 'type') || 'Opaque'), col('Data', 'Keys held.', (s) => keyCount(s, 'data'), 0, 'integer'), AGE],
  namespaces: [NAME, col('Status', 'Active or Terminating.', (n) => str(n, 'status.phase') || 'Active'), AGE],
  limitranges: [NAME, col('Created At', 'When it was created.', (l) => str(l, 'metadata.creationTimestamp'))],
};

/** Kinds without columns of their own show kubectl's default: NAME and AGE. */
const DEFAULT_COLUMNS: ColumnDef[] = [NAME, AGE];

function defs(resource: string): ColumnDef[] {
  return COLUMNS[resource as ResourceName] ?? DEFAULT_COLUMNS;
}

/** The columns of a kind, `-o wide` ones (priority 1) included. */
export function tableColumns(resource: string): TableColumn[] {
  return defs(resource).map(({ cell: _cell, ...c }) => c);
}

/**
 * One object's cells without the clock: an age is `{since: timestamp}`, so the rest can be computed
 * once per object version and kept (the API server's Tables); `cellsAt` fills the ages in.
 */
export function tableCellTemplates(resource: string, obj: unknown): CellTemplate[] {
  return defs(resource).map((c) => (c.since ? { since: c.since(obj) } : c.cell(obj, 0)));
}

/** The cells of tableCellTemplates with each age counted to `now`. */
export function cellsAt(templates: readonly CellTemplate[], now: number): (string | number)[] {
  return templates.map((t) => (typeof t === 'object' ? formatAge(t.since, now) : t));
}

/** One object's cells, one per column of tableColumns(resource). */
export function tableCells(resource: string, obj: unknown, now: number): (string | number)[] {
  // The same cells the API server's Tables give (templates, then ages counted to now): one path for both.
  return cellsAt(tableCellTemplates(resource, obj), now);
}
