// Where the kubelet reads the ConfigMaps and Secrets its pods reference, and what it does when one is
// missing: the container waits (Kubernetes' CreateContainerConfigError) naming the object, instead of
// starting without its configuration.
import type { ConfigMap, Secret } from '@coxswain/objects';

export interface ConfigSources {
  /** The ConfigMap, or undefined when there is none of that name. */
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
}

/** A referenced object or key that is not there (and not optional). */
export class MissingConfigError extends Error {}

/** The keys of a ConfigMap (text and binary) or a Secret as bytes; MissingConfigError when it is missing. */
export async function configKeys(
  sources: ConfigSources,
  namespace: string,
  kind: 'configMap' | 'secret',
  name: string,
  optional = false,
): Promise<Map<string, Buffer> | undefined> {
  if (kind === 'configMap') {
    const cm = await sources.configMap(namespace, name);
    if (!cm) {
      if (optional) return undefined;
      throw new MissingConfigError(`configmap "${name}" not found`);
    }
    const out = new Map<string, Buffer>();
    for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
    for (const [k, v] of Object.entries(cm.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
    return out;
  }
  const secret = await sources.secret(namespace, name);
  if (!secret) {
    if (optional) return undefined;
    throw new MissingConfigError(`secret "${name}" not found`);
  }
  return new Map(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}
