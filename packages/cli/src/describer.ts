// `kubecfg describe KIND NAME`: the object's metadata, spec and status, its conditions, what it
// manages (a controller's pods), and the events that name it — why a pod is Pending, why a
// container restarted.
import YAML from 'yaml';
import type { ResourceInfo } from '@coxswain/objects';
import type { CommandContext } from './command-context';
import { revisionsOf } from './deployment-rollout';
import { arr, field, formatAge, formatLabels, imagesOf, isObject, JsonObject, podStatusReason, str } from '@coxswain/objects';
import { formatTable, KUBECTL_TABLE } from './tab-writer';
import { LAST_APPLIED_ANNOTATION } from './three-way-merge';

function indent(text: string, by = '  '): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

function section(title: string, value: unknown): string {
  if (value === undefined || (isObject(value) && Object.keys(value).length === 0)) return `${title}:\t<none>\n`;
  return `${title}:\n${indent(YAML.stringify(value))}\n`;
}

/** Events whose involvedObject is this object (kind and name), oldest first. */
export function eventsFor(events: JsonObject[], kind: string, name: string): JsonObject[] {
  return events
    .filter((e) => str(e, 'involvedObject.kind') === kind && str(e, 'involvedObject.name') === name)
    .sort((a, b) => (str(a, 'lastTimestamp') < str(b, 'lastTimestamp') ? -1 : 1));
}

export function formatEvents(events: JsonObject[], now: number): string {
  if (events.length === 0) return 'Events:\t<none>\n';
  const rows = events.map((e) => [
    str(e, 'type'),
    str(e, 'reason'),
    `${formatAge(str(e, 'lastTimestamp') || str(e, 'metadata.creationTimestamp'), now)}${Number(field(e, 'count') ?? 1) > 1 ? ` (x${str(e, 'count')})` : ''}`,
    str(e, 'source.component') + (str(e, 'source.host') ? `, ${str(e, 'source.host')}` : ''),
    str(e, 'message'),
  ]);
  return `Events:\n${indent(formatTable([['Type', 'Reason', 'Age', 'From', 'Message'], ['----', '------', '---', '----', '-------'], ...rows], KUBECTL_TABLE))}\n`;
}

export function describeObject(info: ResourceInfo, obj: JsonObject, events: JsonObject[], related: JsonObject[], now: number): string {
  const annotations = { ...((field(obj, 'metadata.annotations') as Record<string, string> | undefined) ?? {}) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  const head: string[][] = [
    ['Name:', str(obj, 'metadata.name')],
    ...(str(obj, 'metadata.namespace') ? [['Namespace:', str(obj, 'metadata.namespace')]] : []),
    ['Kind:', info.kind],
    ['Labels:', formatLabels(field(obj, 'metadata.labels')) || '<none>'],
    ['Annotations:', formatLabels(annotations) || '<none>'],
    ['Created:', `${str(obj, 'metadata.creationTimestamp')} (${formatAge(str(obj, 'metadata.creationTimestamp'), now)} ago)`],
    ['Generation:', str(obj, 'metadata.generation') || '-'],
    ['ResourceVersion:', str(obj, 'metadata.resourceVersion')],
  ];
  if (info.resource === 'pods') {
    head.push(['Minion:', `${str(obj, 'spec.nodeName') || '<none>'}${str(obj, 'status.hostIP') ? `/${str(obj, 'status.hostIP')}` : ''}`]);
    head.push(['Status:', podStatusReason(obj)]);
    head.push(['IP:', str(obj, 'status.podIP') || '<none>']);
  }
  if (info.resource === 'services') head.push(['IP:', str(obj, 'spec.clusterIP') || '<none>']);
  if (info.resource === 'secrets') head.push(['Type:', str(obj, 'type') || 'Opaque']);
  let out = formatTable(head, { minWidth: 0, padding: 1 });
  if (info.resource === 'configmaps' || info.resource === 'secrets') return out + describeKeys(info, obj) + formatEvents(events, now);
  const spec = info.resource === 'events' || info.resource === 'endpoints' ? stripMeta(obj) : field(obj, 'spec');
  out += section(info.resource === 'events' || info.resource === 'endpoints' ? 'Data' : 'Spec', spec);
  const status = isObject(obj.status) ? { ...obj.status } : undefined;
  const conditions = status ? arr(status, 'conditions') : [];
  if (status) delete status.conditions;
  if (info.resource !== 'events' && info.resource !== 'endpoints') out += section('Status', status);
  if (conditions.length > 0) {
    const rows = conditions.map((c) => [str(c, 'type'), str(c, 'status'), str(c, 'reason'), str(c, 'message')]);
    out += `Conditions:\n${indent(formatTable([['Type', 'Status', 'Reason', 'Message'], ...rows], KUBECTL_TABLE))}\n`;
  }
  if (info.resource === 'replicationControllers') {
    const counts = new Map<string, number>();
    for (const p of related) counts.set(podStatusReason(p), (counts.get(podStatusReason(p)) ?? 0) + 1);
    const summary = [...counts.entries()].map(([k, v]) => `${v} ${k}`).join(' / ') || '0 pods';
    out += `Pods Status:\t${summary}\n`;
  }
  if (info.resource === 'deployments') out += describeRevisions(related);
  out += formatEvents(events, now);
  return out;
}

/** A ConfigMap's keys with their text (binary ones by size); a Secret's keys by size only, as kubectl: its values are never printed. */
function describeKeys(info: ResourceInfo, obj: JsonObject): string {
  const sizes = (map: unknown) => Object.fromEntries(Object.entries(isObject(map) ? map : {}).map(([k, v]) => [k, `${Buffer.from(String(v), 'base64').length} bytes`]));
  if (info.resource === 'secrets') return section('Data', sizes(obj.data));
  return section('Data', obj.data) + (isObject(obj.binaryData) ? section('BinaryData', sizes(obj.binaryData)) : '');
}

/** A deployment's replication controllers, one per revision, newest first. */
function describeRevisions(rcs: JsonObject[]): string {
  if (rcs.length === 0) return 'Replication Controllers:\t<none>\n';
  const rows = [...rcs].reverse().map((rc) => [
    str(rc, 'metadata.name'),
    String((field(rc, 'metadata.annotations') as Record<string, string> | undefined)?.['deployment.kubernetes.io/revision'] ?? ''),
    `${str(rc, 'status.readyReplicas') || '0'}/${str(rc, 'spec.replicas') || '0'}`,
    imagesOf(arr(rc, 'spec.template.spec.containers')),
  ]);
  return `Replication Controllers:\n${indent(formatTable([['Name', 'Revision', 'Ready', 'Images'], ...rows], KUBECTL_TABLE))}\n`;
}

function stripMeta(obj: JsonObject): JsonObject {
  const copy = { ...obj };
  delete copy.metadata;
  delete copy.apiVersion;
  delete copy.kind;
  return copy;
}

export async function describe(ctx: CommandContext, info: ResourceInfo, name: string): Promise<string> {
  const obj = await ctx.client.get('v1', info.resource, name);
  const [events, related] = await Promise.all([
    ctx.client.list('v1', 'events').then((l) => eventsFor(l.items, info.kind, name)),
    info.resource === 'replicationControllers'
      ? ctx.client.list('v1', 'pods', { labelSelector: formatLabels(field(obj, 'spec.selector')) }).then((l) => l.items)
      : info.resource === 'deployments'
        ? revisionsOf(ctx, obj)
        : Promise.resolve([] as JsonObject[]),
  ]);
  return describeObject(info, obj, events, related, ctx.clock.now());
}
