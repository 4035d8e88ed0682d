// The wire versions this project serves, first the default (the seed's v1beta1).
import type { Codec } from './codec';
import { v1Codec } from './v1-codec';
import { v1beta1Codec } from './v1beta1-codec';

export const CODECS: readonly Codec[] = [v1beta1Codec, v1Codec];

const byVersion = new Map(CODECS.map((c) => [c.version, c]));

/** The codec of a wire version (`v1beta1`, `v1`), or undefined when it is not served. */
export function codecFor(version: string): Codec | undefined {
  return byVersion.get(version);
}
