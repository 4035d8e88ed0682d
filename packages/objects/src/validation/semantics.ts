// Semantic checks that JSON Schema cannot express, run after the schema accepted the object (so
// the shapes below can be trusted). Paths are in internal terms.
import type { FieldCause } from '../errors';
import { cpuQuantityProblem, formatMemory, memoryQuantityProblem, parseCpu, parseMemory } from '../quantity';
import type {
  ConfigMap, Container, Deployment, HorizontalPodAutoscaler, LimitRange, ResourceQuota, Endpoints, Event, IntOrPercent, Handler, KubeObject, Minion, ObjectMeta, Pod, PodSpec, PodTemplateSpec, Probe,  ReplicationController, ResourceList, Secret, Service,
} from '../types';
import { QUOTA_RESOURCES } from '../types';
import { checkConfigMap, checkSecret } from './config-data';
import { joinPath } from './field-path';
import { checkPodVolumes } from './pod-volumes';
import { imageReferenceProblem } from './image-reference';
import {
  cidrProblem, containerNameProblem, envNameProblem, generateNameProblem, intOrNamedPortProblem, ipProblem,
  labelKeyProblem, labelValueProblem, legacyLabelValueProblem, namespaceProblem, objectNameProblem, portNameProblem, portNumberProblem, servicePortNameProblem,
} from './identifiers';

type Causes = FieldCause[];

function add(out: Causes, field: string, problem: string | undefined): void {
  if (problem) out.push({ field, message: problem });
}

/** Values by the store's rule (2014's free text, what v1beta1 clients send); the v1 codec adds v1's (v1LabelValueCauses). */
export function checkLabels(out: Causes, field: string, labels: Record<string, string> | undefined): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    add(out, field, labelKeyProblem(k));
    add(out, field, legacyLabelValueProblem(k, v));
  }
}

/** Where an object carries label maps (its labels, selectors, its template's labels, node selectors). */
function labelMapsOf(obj: KubeObject): [string, Record<string, string> | undefined][] {
  const o = obj as { metadata?: { labels?: Record<string, string> }; spec?: Record<string, any> };
  const spec = o.spec ?? {};
  const flatSelector = spec.selector && typeof spec.selector === 'object' && !('matchLabels' in spec.selector) ? spec.selector : undefined;
  return [
    ['metadata.labels', o.metadata?.labels],
    ['spec.selector', flatSelector],
    ['spec.nodeSelector', spec.nodeSelector],
    ['spec.template.metadata.labels', spec.template?.metadata?.labels],
    ['spec.template.spec.nodeSelector', spec.template?.spec?.nodeSelector],
  ];
}

/** v1's stricter label values (every value expressible in a selector string), for the v1 codec. */
export function v1LabelValueCauses(obj: KubeObject): Causes {
  const out: Causes = [];
  for (const [field, map] of labelMapsOf(obj)) {
    for (const [k, v] of Object.entries(map ?? {})) add(out, field, labelValueProblem(k, v));
  }
  return out;
}

function checkAnnotations(out: Causes, field: string, annotations: Record<string, string> | undefined): void {
  for (const k of Object.keys(annotations ?? {})) add(out, field, labelKeyProblem(k));
}

function checkMeta(out: Causes, meta: ObjectMeta): void {
  if (meta.name === undefined) {
    if (meta.generateName === undefined) out.push({ field: 'metadata.name', message: 'required' });
  } else {
    add(out, 'metadata.name', objectNameProblem(meta.name));
  }
  if (meta.generateName !== undefined) add(out, 'metadata.generateName', generateNameProblem(meta.generateName));
  if (meta.namespace !== undefined) add(out, 'metadata.namespace', namespaceProblem(meta.namespace));
  checkLabels(out, 'metadata.labels', meta.labels);
  checkAnnotations(out, 'metadata.annotations', meta.annotations);
}

/** The schema checked the quantity syntax; this checks the unit fits the resource (no "64Mi" cpu) and the value fits an int64. */
function checkResourceList(out: Causes, field: string, list: ResourceList | undefined): void {
  if (list?.cpu !== undefined) add(out, `${field}.cpu`, cpuQuantityProblem(list.cpu));
  if (list?.memory !== undefined) add(out, `${field}.memory`, memoryQuantityProblem(list.memory));
}

/**
 * The smallest memory limit a container runtime takes: Docker refuses one below 6 MiB ("Minimum
 * memory limit allowed is 6MB") at create time, so it is refused here, at the door. 0 means no limit.
 */
export const MIN_MEMORY_LIMIT_BYTES = 6 * 2 ** 20;

function checkMemoryLimit(out: Causes, field: string, memory: string | undefined): void {
  if (memory === undefined || memoryQuantityProblem(memory)) return;
  const bytes = parseMemory(memory);
  if (bytes > 0 && bytes < MIN_MEMORY_LIMIT_BYTES) {
    out.push({ field, message: `must be 0 (no limit) or at least ${formatMemory(MIN_MEMORY_LIMIT_BYTES)}: Docker refuses a memory limit below 6 MiB` });
  }
}

const ACTIONS = ['exec', 'httpGet', 'tcpSocket'] as const;

/** A probe or lifecycle handler does exactly one thing; a named port must be one of the container's. */
function checkHandler(out: Causes, field: string, h: Handler | Probe, c: Container): void {
  const present = ACTIONS.filter((a) => h[a] !== undefined);
  if (present.length !== 1) {
    out.push({ field, message: `must have exactly one of ${ACTIONS.join(', ')}${present.length ? ` (has ${present.join(', ')})` : ''}` });
  }
  for (const a of ['httpGet', 'tcpSocket'] as const) {
    const port = h[a]?.port;
    if (port === undefined) continue;
    const portField = `${field}.${a}.port`;
    const problem = intOrNamedPortProblem(port);
    add(out, portField, problem);
    if (!problem && typeof port === 'string' && !(c.ports ?? []).some((p) => p.name === port)) {
      out.push({ field: portField, message: `no container port named ${JSON.stringify(port)}` });
    }
  }
}

export function checkPodSpec(out: Causes, at: string, spec: PodSpec): void {
  const names = new Set<string>();
  const portNames = new Set<string>();
  const hostPorts = new Set<string>();
  spec.containers.forEach((c, i) => {
    const cf = joinPath(joinPath(at, 'containers'), i);
    add(out, `${cf}.name`, containerNameProblem(c.name));
    if (names.has(c.name)) out.push({ field: `${cf}.name`, message: `duplicate container name ${JSON.stringify(c.name)}` });
    names.add(c.name);
    add(out, `${cf}.image`, imageReferenceProblem(c.image));
    (c.ports ?? []).forEach((p, j) => {
      const pf = joinPath(`${cf}.ports`, j);
      add(out, `${pf}.containerPort`, portNumberProblem(p.containerPort));
      // hostPort 0 means none, as in Kubernetes (and 2014's v1beta1).
      if (p.hostPort !== undefined && p.hostPort !== 0) {
        add(out, `${pf}.hostPort`, portNumberProblem(p.hostPort));
        const key = `${p.hostPort}/${p.protocol ?? 'TCP'}`;
        if (hostPorts.has(key)) out.push({ field: `${pf}.hostPort`, message: `duplicate host port ${key} in the pod` });
        hostPorts.add(key);
      }
      if (p.name !== undefined) {
        add(out, `${pf}.name`, portNameProblem(p.name));
        if (portNames.has(p.name)) out.push({ field: `${pf}.name`, message: `duplicate port name ${JSON.stringify(p.name)} in the pod` });
        portNames.add(p.name);
      }
    });
    checkResourceList(out, `${cf}.resources.limits`, c.resources?.limits);
    checkMemoryLimit(out, `${cf}.resources.limits.memory`, c.resources?.limits?.memory);
    checkResourceList(out, `${cf}.resources.requests`, c.resources?.requests);
    (c.env ?? []).forEach((e, j) => add(out, `${joinPath(`${cf}.env`, j)}.name`, envNameProblem(e.name)));
    if (c.livenessProbe) checkHandler(out, `${cf}.livenessProbe`, c.livenessProbe, c);
    if (c.readinessProbe) checkHandler(out, `${cf}.readinessProbe`, c.readinessProbe, c);
    if (c.lifecycle?.postStart) checkHandler(out, `${cf}.lifecycle.postStart`, c.lifecycle.postStart, c);
    if (c.lifecycle?.preStop) checkHandler(out, `${cf}.lifecycle.preStop`, c.lifecycle.preStop, c);
  });
  checkPodVolumes(out, at, spec);
  if (spec.nodeName !== undefined && spec.nodeName !== '') add(out, `${at}.nodeName`, objectNameProblem(spec.nodeName));
  checkLabels(out, `${at}.nodeSelector`, spec.nodeSelector);
}

function checkPod(out: Causes, pod: Pod): void {
  checkPodSpec(out, 'spec', pod.spec);
  if (pod.status?.hostIP) add(out, 'status.hostIP', ipProblem(pod.status.hostIP));
  if (pod.status?.podIP) add(out, 'status.podIP', ipProblem(pod.status.podIP));
}

function checkReplicationController(out: Causes, rc: ReplicationController): void {
  checkSelectedTemplate(out, 'spec.selector', rc.spec.selector, rc.spec.template);
}

/** A selector and the pod template it must select (RCs and Deployments alike). */
function checkSelectedTemplate(out: Causes, selectorPath: string, selector: Record<string, string>, template: PodTemplateSpec): void {
  const entries = Object.entries(selector);
  if (entries.length === 0) out.push({ field: selectorPath, message: 'must not be empty' });
  checkLabels(out, selectorPath, selector);
  const labels = template.metadata?.labels ?? {};
  checkLabels(out, 'spec.template.metadata.labels', labels);
  checkAnnotations(out, 'spec.template.metadata.annotations', template.metadata?.annotations);
  const missing = entries.filter(([k, v]) => labels[k] !== v);
  if (entries.length > 0 && missing.length > 0) {
    out.push({
      field: 'spec.template.metadata.labels',
      message: `must match the selector (missing ${missing.map(([k, v]) => `${k}=${v}`).join(',')})`,
    });
  }
  checkPodSpec(out, 'spec.template.spec', template.spec);
}

function checkDeployment(out: Causes, d: Deployment): void {
  checkSelectedTemplate(out, 'spec.selector.matchLabels', d.spec.selector.matchLabels, d.spec.template);
  const rolling = d.spec.strategy?.rollingUpdate;
  if (!rolling) return;
  if (d.spec.strategy?.type === 'Recreate') {
    out.push({ field: 'spec.strategy.rollingUpdate', message: 'may not be set when strategy.type is Recreate' });
    return;
  }
  const at = 'spec.strategy.rollingUpdate';
  for (const f of ['maxUnavailable', 'maxSurge'] as const) {
    const v = rolling[f];
    if (typeof v === 'string' && parseInt(v, 10) > 100 && f === 'maxUnavailable') out.push({ field: `${at}.${f}`, message: 'must not be above 100%' });
  }
  const zero = (v: IntOrPercent | undefined) => v === 0 || (typeof v === 'string' && parseInt(v, 10) === 0);
  if (zero(rolling.maxUnavailable) && zero(rolling.maxSurge)) {
    out.push({ field: `${at}.maxUnavailable`, message: 'may not be 0 when maxSurge is 0 (the rollout could never move)' });
  }
}

function checkService(out: Causes, svc: Service): void {
  const { ports } = svc.spec;
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const pf = `spec.ports[${i}]`;
    add(out, `${pf}.port`, portNumberProblem(p.port));
    if (p.targetPort !== undefined) add(out, `${pf}.targetPort`, intOrNamedPortProblem(p.targetPort));
    const key = `${p.port}/${p.protocol ?? 'TCP'}`;
    if (seen.has(key)) out.push({ field: `${pf}.port`, message: `duplicate port ${key}` });
    seen.add(key);
    if (p.name !== undefined) {
      add(out, `${pf}.name`, servicePortNameProblem(p.name));
      if (names.has(p.name)) out.push({ field: `${pf}.name`, message: `duplicate port name ${JSON.stringify(p.name)}` });
      names.add(p.name);
    } else if (ports.length > 1) {
      out.push({ field: `${pf}.name`, message: 'required when a service has several ports' });
    }
  });
  checkLabels(out, 'spec.selector', svc.spec.selector);
}

function checkMinion(out: Causes, m: Minion): void {
  if (m.spec?.podCIDR) add(out, 'spec.podCIDR', cidrProblem(m.spec.podCIDR));
  checkResourceList(out, 'status.capacity', m.status?.capacity);
  (m.status?.addresses ?? []).forEach((a, i) => {
    if (a.type === 'InternalIP') add(out, `status.addresses[${i}].address`, ipProblem(a.address));
  });
}

function checkEndpoints(out: Causes, ep: Endpoints): void {
  ep.subsets.forEach((s, i) => {
    const sf = `subsets[${i}]`;
    for (const list of ['addresses', 'notReadyAddresses'] as const) {
      (s[list] ?? []).forEach((a, j) => add(out, `${sf}.${list}[${j}].ip`, ipProblem(a.ip)));
    }
    (s.ports ?? []).forEach((p, j) => {
      add(out, `${sf}.ports[${j}].port`, portNumberProblem(p.port));
      if (p.name !== undefined) add(out, `${sf}.ports[${j}].name`, servicePortNameProblem(p.name));
    });
  });
}

function checkEvent(out: Causes, ev: Event): void {
  if (Date.parse(ev.firstTimestamp) > Date.parse(ev.lastTimestamp)) {
    out.push({ field: 'lastTimestamp', message: 'must not be before firstTimestamp' });
  }
}

function checkHorizontalPodAutoscaler(out: Causes, hpa: HorizontalPodAutoscaler): void {
  const min = hpa.spec.minReplicas ?? 1;
  if (min > hpa.spec.maxReplicas) out.push({ field: 'spec.minReplicas', message: `must be less than or equal to maxReplicas (${hpa.spec.maxReplicas})` });
}

/** A quota's figures: counts are whole numbers, the rest cpu or memory quantities. */
function checkQuotaList(out: Causes, at: string, list: Record<string, string> | undefined): void {
  for (const [resource, q] of Object.entries(list ?? {})) {
    const field = joinPath(at, resource);
    if (!(QUOTA_RESOURCES as readonly string[]).includes(resource)) out.push({ field, message: `unknown resource: a quota limits ${[...QUOTA_RESOURCES].join(', ')}` });
    else if (resource.endsWith('.cpu')) add(out, field, cpuQuantityProblem(q));
    else if (resource.endsWith('.memory')) add(out, field, memoryQuantityProblem(q));
    else if (!/^[0-9]+$/.test(q) || Number(q) > 2 ** 31 - 1) out.push({ field, message: 'must be a whole number of objects, at most 2147483647' });
  }
}

function checkResourceQuota(out: Causes, q: ResourceQuota): void {
  checkQuotaList(out, 'spec.hard', q.spec.hard);
  checkQuotaList(out, 'status.hard', q.status?.hard);
  checkQuotaList(out, 'status.used', q.status?.used);
}

/** Each bound a valid quantity, and min <= defaultRequest <= default <= max where both are set. */
function checkLimitRange(out: Causes, lr: LimitRange): void {
  lr.spec.limits.forEach((item, i) => {
    const at = `spec.limits[${i}]`;
    for (const k of ['default', 'defaultRequest', 'min', 'max'] as const) checkResourceList(out, `${at}.${k}`, item[k]);
    for (const r of ['cpu', 'memory'] as const) {
      const parse = r === 'cpu' ? parseCpu : parseMemory;
      const value = (k: 'default' | 'defaultRequest' | 'min' | 'max') => {
        const q = item[k]?.[r];
        return q === undefined || (r === 'cpu' ? cpuQuantityProblem(q) : memoryQuantityProblem(q)) ? undefined : parse(q);
      };
      const order = [['min', 'defaultRequest'], ['defaultRequest', 'default'], ['default', 'max'], ['min', 'max']] as const;
      for (const [lo, hi] of order) {
        const [a, b] = [value(lo), value(hi)];
        if (a !== undefined && b !== undefined && a > b) out.push({ field: `${at}.${hi}.${r}`, message: `must not be less than ${lo}.${r} (${item[lo]![r]})` });
      }
    }
  });
}

/** Semantic checks for an object the internal schema has accepted. */
export function semanticCauses(obj: KubeObject): FieldCause[] {
  const out: Causes = [];
  checkMeta(out, obj.metadata);
  switch (obj.kind) {
    case 'Pod': checkPod(out, obj as Pod); break;
    case 'ReplicationController': checkReplicationController(out, obj as ReplicationController); break;
    case 'Deployment': checkDeployment(out, obj as Deployment); break;
    case 'HorizontalPodAutoscaler': checkHorizontalPodAutoscaler(out, obj as HorizontalPodAutoscaler); break;
    case 'Service': checkService(out, obj as Service); break;
    case 'Minion': checkMinion(out, obj as Minion); break;
    case 'Endpoints': checkEndpoints(out, obj as Endpoints); break;
    case 'Event': checkEvent(out, obj as Event); break;
    case 'ResourceQuota': checkResourceQuota(out, obj as ResourceQuota); break;
    case 'LimitRange': checkLimitRange(out, obj as LimitRange); break;
    case 'ConfigMap': checkConfigMap(out, obj as ConfigMap); break;
    case 'Secret': checkSecret(out, obj as Secret); break;
  }
  return out;
}
