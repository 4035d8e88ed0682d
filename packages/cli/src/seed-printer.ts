// The seed kubecfg's human-readable tables for v1beta1 objects, columns exactly as on the talk's slides.
import type { ResourceName } from '@coxswain/objects';
import { arr, field, formatLabels, imagesOf, isObject, str } from '@coxswain/objects';
import { formatTable, SEED_TABLE } from './tab-writer';

const SEPARATOR = '----------';

interface SeedColumns {
  header: string[];
  row(obj: unknown): string[];
}

const podColumns: SeedColumns = {
  header: ['ID', 'Image(s)', 'Host', 'Labels', 'Status'],
  row: (pod) => [
    str(pod, 'id'),
    imagesOf(arr(pod, 'desiredState.manifest.containers')),
    // host/hostIP: `/` while the pod is unbound, `minion-1/127.0.1.1` once it runs.
    `${str(pod, 'currentState.host') || str(pod, 'desiredState.host')}/${str(pod, 'currentState.hostIP')}`,
    formatLabels(field(pod, 'labels')),
    str(pod, 'currentState.status'),
  ],
};

const controllerColumns: SeedColumns = {
  header: ['ID', 'Image(s)', 'Selector', 'Replicas'],
  row: (rc) => [
    str(rc, 'id'),
    imagesOf(arr(rc, 'desiredState.podTemplate.desiredState.manifest.containers')),
    formatLabels(field(rc, 'desiredState.replicaSelector')),
    str(rc, 'desiredState.replicas') || '0',
  ],
};

const serviceColumns: SeedColumns = {
  // 2014's columns: the portal IP between the selector and the port.
  header: ['ID', 'Labels', 'Selector', 'IP', 'Port'],
  row: (svc) => [str(svc, 'id'), formatLabels(field(svc, 'labels')), formatLabels(field(svc, 'selector')), str(svc, 'portalIP'), str(svc, 'port')],
};

function minionStatus(minion: unknown): string {
  const conditions = arr(minion, 'status.conditions');
  const ready = conditions.find((c) => isObject(c) && (c.type === 'Ready' || c.kind === 'Ready'));
  if (!ready) return 'Unknown';
  const s = str(ready, 'status');
  return s === 'True' || s === 'Full' ? 'Ready' : 'NotReady';
}

const minionColumns: SeedColumns = {
  header: ['ID', 'Host IP', 'Labels', 'Status'],
  row: (m) => [str(m, 'id'), str(m, 'hostIP'), formatLabels(field(m, 'labels')), minionStatus(m)],
};

const genericColumns: SeedColumns = {
  header: ['ID', 'Labels'],
  row: (o) => [str(o, 'id') || str(o, 'metadata.name'), formatLabels(field(o, 'labels') ?? field(o, 'metadata.labels'))],
};

const COLUMNS: Partial<Record<ResourceName, SeedColumns>> = {
  pods: podColumns,
  replicationControllers: controllerColumns,
  services: serviceColumns,
  minions: minionColumns,
};

/** withNamespace (`list -A`): a Namespace column first; the seed had no namespaces, so this is ours. */
export function seedTable(resource: ResourceName, objects: readonly unknown[], opts: { withNamespace?: boolean } = {}): string {
  const base = COLUMNS[resource] ?? genericColumns;
  const cols: SeedColumns = opts.withNamespace
    ? { header: ['Namespace', ...base.header], row: (o) => [str(o, 'namespace') || str(o, 'metadata.namespace'), ...base.row(o)] }
    : base;
  return formatTable([cols.header, cols.header.map(() => SEPARATOR), ...objects.map((o) => cols.row(o))], SEED_TABLE);
}
