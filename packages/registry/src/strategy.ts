// Per-kind rules of every write, after Kubernetes' pkg/registry/*/strategy.go: what a create may
// set, what an update carries over from the stored object, when generation moves, which fields
// may not change, and validation. The registry applies them to every writer alike — the API
// server for its clients, and the reconcilers and kubelets — so all get the same answers.
import { withDefaults } from './defaults';
import {
  BadRequestError,
  DEFAULT_NAMESPACE,
  InvalidError,
  resourceForKind,
  resourceInfo,
  deepEqual,
  sameFields,
  validateInternal,
  valueAtPath,
  mergeStringData,
  type FieldCause,
  type KubeObject,
  type Pod,
  type ResourceInfo,
  type ResourceQuota,
  type Secret,
  type ResourceName,
  type Service,
} from '@coxswain/objects';

export interface Strategy {
  readonly info: ResourceInfo;
  /** Seconds a new object lives before etcd drops it (events), or undefined. */
  readonly ttlSeconds?: number;
  /**
   * A new object from what a writer sent: system metadata cleared (the registry sets uid,
   * creationTimestamp and generation), the namespace defaulted, the initial status set. Returns a copy.
   */
  prepareForCreate(obj: KubeObject): KubeObject;
  /**
   * A spec update: what the writer sent, with the identity, status and immutable fields of
   * `current`; generation moves when the spec changed. Throws InvalidError for a forbidden change. Returns a copy.
   */
  prepareForUpdate(obj: KubeObject, current: KubeObject): KubeObject;
  /** A status update: `current` with only its status replaced by obj's. Returns a copy. */
  prepareForStatusUpdate(obj: KubeObject, current: KubeObject): KubeObject;
  /** Throws InvalidError naming each bad field. */
  validate(obj: KubeObject): void;
  /**
   * An update's validation: as `validate`, except that a problem `current` already has is not
   * refused. A rule added later (an image grammar, a bound) then holds for every update that brings
   * a new problem in, while an object stored before the rule can still get its status written, be
   * bound, or be labelled — as Kubernetes ratchets validation. Throws InvalidError naming each bad
   * field the update brings in.
   */
  validateUpdate(obj: KubeObject, current: KubeObject): void;
}

interface KindRules {
  /** The status a new object starts with, or undefined to keep what the writer sent (minions register with theirs). */
  initialStatus?: () => unknown;
  /** Refusals of an update, as field causes (a field that may not change). */
  updateProblems?: (obj: KubeObject, current: KubeObject) => FieldCause[];
  /** Fields an update carries over from the stored object when the writer left them out. */
  carryOver?: (obj: KubeObject, current: KubeObject) => void;
  ttlSeconds?: number;
  /** Rewrites what a writer sent into its stored form, on create and update (a Secret's stringData into data). In place. */
  normalize?: (obj: KubeObject) => void;
  /** Fixes up the status a spec update carries over, from the new spec (a quota's status.hard). */
  statusFromSpec?: (obj: KubeObject) => void;
}

/**
 * A `spec` field an allocator sets at create (a portal IP, a pod subnet): an update may leave it
 * out (it is kept) or repeat it, never change it.
 */
function allocatorOwned(field: `spec.${string}`, when: string): KindRules {
  const key = field.slice('spec.'.length);
  const held = (o: KubeObject) => (o as { spec?: Record<string, unknown> }).spec?.[key] as string | undefined;
  return {
    updateProblems: (obj, current) => {
      const was = held(current);
      const wanted = held(obj);
      if (wanted === undefined || wanted === '' || wanted === was) return [];
      return [{ field, message: was ? `may not be changed (allocated ${was})` : `is set when ${when}, not by an update` }];
    },
    carryOver: (obj, current) => {
      const was = held(current);
      const spec = (obj as { spec?: Record<string, unknown> }).spec;
      if (was !== undefined && !held(obj)) (obj as { spec?: Record<string, unknown> }).spec = { ...spec, [key]: was };
    },
  };
}

const RULES: Record<ResourceName, KindRules> = {
  pods: {
    initialStatus: () => ({ phase: 'Pending' }),
    // spec.nodeName belongs to binding: an update may leave it out (it is kept) or repeat it, not change it.
    updateProblems: (obj, current) => {
      const bound = (current as Pod).spec?.nodeName;
      const wanted = (obj as Pod).spec?.nodeName;
      if (wanted === undefined || wanted === bound) return [];
      return [{ field: 'spec.nodeName', message: bound ? `may not be changed (bound to "${bound}")` : 'is set by binding, not by an update' }];
    },
    carryOver: (obj, current) => {
      const bound = (current as Pod).spec?.nodeName;
      const spec = (obj as Pod).spec;
      if (bound !== undefined && spec && spec.nodeName === undefined) (obj as Pod).spec = { ...spec, nodeName: bound };
    },
  },
  replicationControllers: { initialStatus: () => ({ replicas: 0 }) },
  deployments: { initialStatus: () => ({}) },
  horizontalpodautoscalers: { initialStatus: () => ({ currentReplicas: 0, desiredReplicas: 0 }) },
  // The portal IP and the pod subnet belong to their allocators.
  services: allocatorOwned('spec.clusterIP', 'the service is created'),
  minions: allocatorOwned('spec.podCIDR', 'the minion registers'),
  endpoints: {},
  // Events are records, not desired state: they expire like 2014's event TTL.
  events: { ttlSeconds: 3600 },
  // status.used is the registry's (admission.ts measures it at create, quota.ts keeps it); status.hard follows spec.hard.
  resourcequotas: {
    initialStatus: () => ({}),
    statusFromSpec: (obj) => {
      const q = obj as ResourceQuota;
      q.status = { ...q.status, hard: q.spec.hard };
    },
  },
  limitranges: {},
  // Deleting one is two steps (registry.ts): Terminating first, gone once empty.
  namespaces: { initialStatus: () => ({ phase: 'Active' }) },
  configmaps: {},
  secrets: {
    normalize: (obj) => {
      mergeStringData(obj as Secret);
      if ((obj as Secret).type === undefined) (obj as Secret).type = 'Opaque';
    },
  },
};

/** Fields that are not the "spec" of an object: changes to anything else bump metadata.generation. */
const NOT_SPEC = new Set(['apiVersion', 'kind', 'metadata', 'status']);

function makeStrategy(resource: ResourceName): Strategy {
  const info = resourceInfo(resource)!;
  const rules = RULES[resource];
  return {
    info,
    ttlSeconds: rules.ttlSeconds,
    prepareForCreate(obj) {
      const meta = { ...obj.metadata };
      delete meta.uid;
      delete meta.resourceVersion;
      delete meta.creationTimestamp;
      delete meta.deletionTimestamp;
      delete meta.generation;
      if (info.namespaced) meta.namespace = meta.namespace || DEFAULT_NAMESPACE;
      else delete meta.namespace;
      const next: KubeObject = { ...withDefaults(resource, obj), apiVersion: 'v1', metadata: canonical(meta) };
      if (info.hasStatus && rules.initialStatus) next.status = rules.initialStatus();
      rules.normalize?.(next);
      return next;
    },
    prepareForUpdate(obj, current) {
      if (obj.kind !== info.kind) throw new BadRequestError(`kind "${obj.kind}" does not match resource "${info.resource}" (kind ${info.kind})`);
      const problems = rules.updateProblems?.(obj, current) ?? [];
      if (problems.length > 0) throw new InvalidError(info.kind, current.metadata.name, problems);
      const next: KubeObject = { ...withDefaults(resource, obj), apiVersion: 'v1', metadata: { ...obj.metadata } };
      rules.normalize?.(next);
      rules.carryOver?.(next, current);
      if (info.hasStatus) {
        if (current.status === undefined) delete next.status;
        else next.status = current.status;
        rules.statusFromSpec?.(next);
      }
      next.metadata = identityOf(next.metadata, current, !sameFields(current as never, next as never, NOT_SPEC));
      return next;
    },
    prepareForStatusUpdate(obj, current) {
      if (!info.hasStatus) throw new BadRequestError(`${info.resource} have no status`);
      const next: KubeObject = { ...current, metadata: { ...current.metadata } };
      if (obj.status === undefined) delete next.status;
      else next.status = obj.status;
      return next;
    },
    validate(obj) {
      const causes = validateInternal(obj);
      if (causes.length > 0) throw new InvalidError(obj.kind, obj.metadata?.name ?? '', causes);
    },
    validateUpdate(obj, current) {
      const causes = validateInternal(obj);
      if (causes.length === 0) return;
      // Pardoned: the same problem, on the same field, with the same value there as before.
      const had = new Set(validateInternal(current).map(causeKey));
      const brought = causes.filter((c) => !had.has(causeKey(c)) || !deepEqual(valueAtPath(obj, c.field), valueAtPath(current, c.field)));
      if (brought.length > 0) throw new InvalidError(obj.kind, obj.metadata?.name ?? '', brought);
    },
  };
}

function causeKey(c: FieldCause): string {
  return `${c.field}\u0000${c.message}`;
}

/** Metadata of an update: the writer's labels and annotations, the stored object's identity; generation +1 on a spec change. */
function identityOf(meta: KubeObject['metadata'], current: KubeObject, specChanged: boolean): KubeObject['metadata'] {
  const out = { ...meta };
  delete out.resourceVersion;
  delete out.generateName;
  out.name = current.metadata.name;
  setOrDelete(out, 'namespace', current.metadata.namespace);
  setOrDelete(out, 'uid', current.metadata.uid);
  setOrDelete(out, 'creationTimestamp', current.metadata.creationTimestamp);
  setOrDelete(out, 'generateName', current.metadata.generateName);
  setOrDelete(out, 'deletionTimestamp', current.metadata.deletionTimestamp);
  out.generation = (current.metadata.generation ?? 1) + (specChanged ? 1 : 0);
  return canonical(out);
}

/** Empty label and annotation maps are stored as absent, so that {} and no map compare equal. */
function canonical(meta: KubeObject['metadata']): KubeObject['metadata'] {
  if (meta.labels && Object.keys(meta.labels).length === 0) delete meta.labels;
  if (meta.annotations && Object.keys(meta.annotations).length === 0) delete meta.annotations;
  return meta;
}

function setOrDelete<O extends object, K extends keyof O>(o: O, k: K, v: O[K] | undefined): void {
  if (v === undefined) delete o[k];
  else o[k] = v;
}

const strategies = new Map<string, Strategy>();

export function strategyFor(resource: ResourceName): Strategy {
  let s = strategies.get(resource);
  if (!s) strategies.set(resource, (s = makeStrategy(resource)));
  return s;
}

/** The strategy of an object's kind: BadRequestError for an unknown kind, InvalidError without metadata. */
export function strategyOf(obj: KubeObject): Strategy {
  const info = obj && typeof obj === 'object' ? resourceForKind(obj.kind) : undefined;
  if (!info) throw new BadRequestError(`unknown kind "${obj?.kind}"`);
  if (!obj.metadata || typeof obj.metadata !== 'object') throw new InvalidError(obj.kind, '', [{ field: 'metadata', message: 'required' }]);
  return strategyFor(info.resource);
}
