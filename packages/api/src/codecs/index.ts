export type { Codec } from './codec';
export { CODECS, codecFor } from './codec-registry';
export { createV1Codec, v1Codec, V1_VERSION } from './v1-codec';
export { v1beta1Codec, createV1beta1Codec, v1beta1ToInternal, v1beta1FromInternal, type V1beta1CodecOptions } from './v1beta1-codec';
export { v1beta1FieldPath } from './v1beta1/field-paths';
export { podStatusWord, podPhaseOf } from './v1beta1/pod-conversion';
export type * as V1beta1 from './v1beta1/wire-types';
