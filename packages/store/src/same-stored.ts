// When a write changes nothing: every Storage skips a write whose object would store the same
// (resourceVersion is never stored), so no revision is used and no watch hears of it.
import { deepEqual, type KubeObject } from '@coxswain/objects';

export function sameStored(a: KubeObject, b: KubeObject): boolean {
  const { resourceVersion: _a, ...ma } = a.metadata ?? {};
  const { resourceVersion: _b, ...mb } = b.metadata ?? {};
  return deepEqual({ ...a, metadata: ma }, { ...b, metadata: mb });
}
