// Kubernetes' defaults for fields a client may leave out, applied by the registry to every write
// (create and update), so every writer and every reader sees the same object: a port's protocol is
// TCP, a service is of type ClusterIP, a Deployment's strategy is a 25%/25% rolling update. Fields
// the cluster cannot honour are not defaulted (docs/decisions.md). A default never mutates the
// writer's object: what is changed is copied first (a reconciler's informer cache stays intact).
import type { KubeObject, ResourceName } from '@coxswain/objects';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Ports without a protocol, in a pod spec's containers. */
function podSpecNeedsDefaults(spec: unknown): boolean {
  if (!isObj(spec) || !Array.isArray(spec.containers)) return false;
  return spec.containers.some((c) => isObj(c) && Array.isArray(c.ports) && c.ports.some((p) => isObj(p) && p.protocol === undefined));
}

function defaultPodSpec(spec: Json): void {
  for (const c of (spec.containers as Json[]) ?? []) {
    for (const p of (c.ports as Json[] | undefined) ?? []) p.protocol ??= 'TCP';
  }
}

/** For a kind with a pod template at spec.template: defaults inside it. */
function templateDefaults(spec: Json): void {
  const template = spec.template;
  if (isObj(template) && isObj(template.spec)) defaultPodSpec(template.spec);
}

const DEFAULT_ROLLING_UPDATE = { maxUnavailable: '25%', maxSurge: '25%' };

interface KindDefaults {
  /** Whether the spec lacks a defaulted field (checked first, so that most writes copy nothing). */
  needed(spec: Json): boolean;
  /** Fills the spec's defaults in place (on a private copy). */
  apply(spec: Json): void;
}

const BY_KIND: Partial<Record<ResourceName, KindDefaults>> = {
  pods: { needed: podSpecNeedsDefaults, apply: defaultPodSpec },
  replicationControllers: { needed: (s) => podSpecNeedsDefaults(isObj(s.template) ? s.template.spec : undefined), apply: templateDefaults },
  deployments: {
    needed: (s) => podSpecNeedsDefaults(isObj(s.template) ? s.template.spec : undefined) || !isObj(s.strategy) || s.strategy.type === undefined || (s.strategy.type === 'RollingUpdate' && s.strategy.rollingUpdate === undefined),
    apply: (s) => {
      templateDefaults(s);
      const strategy: Json = isObj(s.strategy) ? s.strategy : {};
      strategy.type ??= 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') strategy.rollingUpdate = { ...DEFAULT_ROLLING_UPDATE, ...(isObj(strategy.rollingUpdate) ? strategy.rollingUpdate : {}) };
      s.strategy = strategy;
    },
  },
  services: {
    needed: (s) => s.type === undefined || (Array.isArray(s.ports) && s.ports.some((p) => isObj(p) && p.protocol === undefined)),
    apply: (s) => {
      s.type ??= 'ClusterIP';
      for (const p of (s.ports as Json[] | undefined) ?? []) p.protocol ??= 'TCP';
    },
  },
};

/** The object with its kind's defaults filled in: the same object when none is missing, else a copy. */
export function withDefaults<T extends KubeObject>(resource: ResourceName, obj: T): T {
  const kind = BY_KIND[resource];
  const spec = (obj as { spec?: unknown }).spec;
  if (!kind || !isObj(spec) || !kind.needed(spec)) return obj;
  const copy = structuredClone(spec);
  kind.apply(copy);
  return { ...obj, spec: copy };
}
