// The wrapper around a list's items. v1beta1 (2014) put resourceVersion at the top level of
// `{kind: "PodList", apiVersion, items, resourceVersion}`; v1 puts it in `metadata`. A codec may
// supply its own by defining `listEnvelope`.
import type { Codec } from './codecs/codec';

type CodecWithEnvelope = Codec & { listEnvelope?(kind: string, resourceVersion: string): Record<string, unknown> };

export function listEnvelope(codec: Codec, kind: string, resourceVersion: string): Record<string, unknown> {
  const custom = (codec as CodecWithEnvelope).listEnvelope;
  if (typeof custom === 'function') return custom.call(codec, kind, resourceVersion);
  if (codec.version.startsWith('v1beta')) return { kind: `${kind}List`, apiVersion: codec.version, resourceVersion };
  return { kind: `${kind}List`, apiVersion: codec.version, metadata: { resourceVersion } };
}
