// The writes that keep mirror keys in step with an object (see Mirror in storage.ts), shared by
// every Storage implementation so that they agree on when a mirror is put, moved or deleted.
import type { KubeObject } from '@coxswain/objects';
import { sameStored } from './storage-rules';
import type { Mirror } from '@coxswain/objects';

/** Put `value` at `key`, or delete `key` when value is undefined. */
export interface MirrorWrite {
  key: string;
  value?: KubeObject;
}

/**
 * For an object at `key` going from `before` to `after` (undefined: absent): delete the mirror key
 * it leaves, put the one it has when it is new or its value changed.
 */
export function mirrorWrites(mirrors: readonly Mirror[], key: string, before: KubeObject | undefined, after: KubeObject | undefined): MirrorWrite[] {
  const writes: MirrorWrite[] = [];
  for (const m of mirrors) {
    if (!key.startsWith(m.prefix)) continue;
    const was = before && m.keyFor(before);
    const now = after && m.keyFor(after);
    if (was && was !== now) writes.push({ key: was });
    if (now) {
      const value = m.valueFor(after!);
      if (was !== now || !sameStored(m.valueFor(before!), value)) writes.push({ key: now, value });
    }
  }
  return writes;
}

