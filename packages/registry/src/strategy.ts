// Per-kind rules the API applies before the store sees a client's object (after Kubernetes'
// pkg/registry/*/strategy.go): stateless, one per kind. They decide what a client may set on
// create and update (status belongs to kubelets and reconcilers; a pod's nodeName only to binding)
// and carry system metadata over from the stored object.
import { DEFAULT_NAMESPACE, resourceInfo } from '@coxswain/objects';
import type { CreateOptions, KubeObject, ResourceInfo, ResourceName } from '@coxswain/objects';

export interface Strategy {
  readonly info: ResourceInfo;
  /** Clears fields a client may not set on create, fixes the namespace, canonicalizes. Mutates and returns obj. */
  prepareForCreate(obj: KubeObject, namespace: string): KubeObject;
  /** Carries over what a spec update may not change (status, system metadata) from the stored object. Mutates and returns obj. */
  prepareForUpdate(obj: KubeObject, old: KubeObject): KubeObject;
  /** A status write: the stored object with only its status replaced. Returns a new object. */
  prepareForStatusUpdate(obj: KubeObject, old: KubeObject): KubeObject;
  /** Store options for a create (events expire). */
  createOptions(obj: KubeObject): CreateOptions | undefined;
}

interface KindRules {
  /** The status a new object starts with, or undefined to keep what the client sent (minions register with theirs). */
  initialStatus?: () => unknown;
  clearOnCreate?: (obj: KubeObject) => void;
  keepOnUpdate?: (obj: KubeObject, old: KubeObject) => void;
  ttlSeconds?: number;
}

type PodLike = KubeObject<{ nodeName?: string }>;

const RULES: Record<ResourceName, KindRules> = {
  pods: {
    initialStatus: () => ({ phase: 'Pending' }),
    // Binding writes nodeName together with the minion's bound-pod key; a client-set nodeName would
    // name a minion whose kubelet never hears of the pod.
    clearOnCreate: (obj) => {
      const spec = (obj as PodLike).spec;
      if (spec) delete spec.nodeName;
    },
    keepOnUpdate: (obj, old) => {
      const spec = (obj as PodLike).spec;
      const oldNode = (old as PodLike).spec?.nodeName;
      if (!spec) return;
      if (oldNode === undefined) delete spec.nodeName;
      else spec.nodeName = oldNode;
    },
  },
  replicationControllers: { initialStatus: () => ({ replicas: 0 }) },
  services: {},
  minions: {},
  endpoints: {},
  // Events are records, not desired state: they expire like 2014's event TTL.
  events: { ttlSeconds: 3600 },
};

function clearSystemMeta(obj: KubeObject): void {
  const m = obj.metadata;
  delete m.uid;
  delete m.resourceVersion;
  delete m.creationTimestamp;
  delete m.generation;
}

function canonicalize(obj: KubeObject): void {
  const m = obj.metadata;
  if (m.labels && Object.keys(m.labels).length === 0) delete m.labels;
  if (m.annotations && Object.keys(m.annotations).length === 0) delete m.annotations;
}

function makeStrategy(resource: ResourceName): Strategy {
  const info = resourceInfo(resource)!;
  const rules = RULES[resource];
  return {
    info,
    prepareForCreate(obj, namespace) {
      obj.metadata ??= { name: '' };
      clearSystemMeta(obj);
      if (info.namespaced) obj.metadata.namespace = namespace || DEFAULT_NAMESPACE;
      else delete obj.metadata.namespace;
      if (info.hasStatus && rules.initialStatus) obj.status = rules.initialStatus();
      rules.clearOnCreate?.(obj);
      canonicalize(obj);
      return obj;
    },
    prepareForUpdate(obj, old) {
      const m = obj.metadata;
      const o = old.metadata;
      if (o.uid !== undefined) m.uid = o.uid;
      else delete m.uid;
      if (o.creationTimestamp !== undefined) m.creationTimestamp = o.creationTimestamp;
      if (o.generation !== undefined) m.generation = o.generation;
      else delete m.generation;
      if (info.namespaced) m.namespace = o.namespace;
      else delete m.namespace;
      if (info.hasStatus) {
        if (old.status === undefined) delete obj.status;
        else obj.status = old.status;
      }
      rules.keepOnUpdate?.(obj, old);
      canonicalize(obj);
      return obj;
    },
    prepareForStatusUpdate(obj, old) {
      return { ...old, metadata: { ...old.metadata, resourceVersion: obj.metadata.resourceVersion }, status: obj.status };
    },
    createOptions() {
      return rules.ttlSeconds ? { ttlSeconds: rules.ttlSeconds } : undefined;
    },
  };
}

const strategies = new Map<string, Strategy>();

export function strategyFor(resource: ResourceName): Strategy {
  let s = strategies.get(resource);
  if (!s) strategies.set(resource, (s = makeStrategy(resource)));
  return s;
}
