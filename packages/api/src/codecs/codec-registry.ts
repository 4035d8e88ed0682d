// The wire versions this project serves, first the default (the seed's v1beta1), then core v1, then
// one codec per version of every named API group in the resource table (`apps/v1`, ...).
import { groupVersion, RESOURCES } from '@coxswain/objects';
import type { Codec } from './codec';
import { createV1Codec, v1Codec } from './v1-codec';
import { v1beta1Codec } from './v1beta1-codec';

const groupVersions = [...new Set(RESOURCES.filter((r) => r.group).flatMap((r) => r.versions.map((v) => groupVersion(r.group, v))))];

export const CODECS: readonly Codec[] = [v1beta1Codec, v1Codec, ...groupVersions.map(createV1Codec)];

const byVersion = new Map(CODECS.map((c) => [c.version, c]));

/** The codec of a wire version (`v1beta1`, `v1`, `apps/v1`), or undefined when it is not served. */
export function codecFor(version: string): Codec | undefined {
  return byVersion.get(version);
}
