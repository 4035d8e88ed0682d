// A container's environment from its spec: envFrom (every key of a ConfigMap or Secret, prefixed),
// then env (literal values, keys of ConfigMaps and Secrets, the pod's name, namespace and IP), later
// entries winning, as in Kubernetes. Read when the container is created: a changed ConfigMap reaches
// the environment only with the next container.
import type { Container, Pod } from '@coxswain/objects';
import { configKeys, MissingConfigError, type ConfigSources } from './config-sources';

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

const OWN_FIELDS = new Set(['metadata.name', 'metadata.namespace']);

/** True when an env var of the container reads the pod's IP (any field but its name and namespace). */
export function readsPodIP(spec: Container): boolean {
  return (spec.env ?? []).some((e) => e.valueFrom?.fieldRef && !OWN_FIELDS.has(e.valueFrom.fieldRef.fieldPath));
}

/** MissingConfigError when a referenced object or key is missing and not optional. */
export async function containerEnv(pod: Pod, spec: Container, sources: ConfigSources, podIP: string | undefined): Promise<Record<string, string>> {
  const namespace = pod.metadata.namespace ?? 'default';
  const env: Record<string, string> = {};
  for (const from of spec.envFrom ?? []) {
    const [kind, ref] = from.configMapRef ? (['configMap', from.configMapRef] as const) : (['secret', from.secretRef!] as const);
    const keys = await configKeys(sources, namespace, kind, ref.name, ref.optional);
    for (const [k, v] of keys ?? []) {
      const name = `${from.prefix ?? ''}${k}`;
      if (ENV_NAME.test(name)) env[name] = v.toString('utf8'); // Kubernetes skips keys that are no variable name
    }
  }
  for (const e of spec.env ?? []) {
    const from = e.valueFrom;
    if (!from) {
      env[e.name] = e.value ?? '';
      continue;
    }
    if (from.fieldRef) {
      const field = from.fieldRef.fieldPath;
      env[e.name] = field === 'metadata.name' ? pod.metadata.name : field === 'metadata.namespace' ? namespace : podIP ?? '';
      continue;
    }
    const [kind, sel] = from.configMapKeyRef ? (['configMap', from.configMapKeyRef] as const) : (['secret', from.secretKeyRef!] as const);
    const keys = await configKeys(sources, namespace, kind, sel.name, sel.optional);
    const value = keys?.get(sel.key);
    if (value === undefined) {
      if (sel.optional) continue;
      throw new MissingConfigError(`couldn't find key ${sel.key} in ${kind === 'configMap' ? 'ConfigMap' : 'Secret'} ${namespace}/${sel.name}`);
    }
    env[e.name] = value.toString('utf8');
  }
  return env;
}
