// The rules every Storage implementation shares (EtcdStorage, MemoryStorage), written once so that
// the two cannot drift: when a write changes nothing, what a write hands back, how errors name an
// object, delete preconditions, and which keys may be leased.
import { BadRequestError, ConflictError, deepEqual, type KubeObject, type Mirror, type Preconditions, type StorageCreateOptions } from '@coxswain/objects';
import { keyIdentity } from './key-range';

/** Whether two objects would store the same (resourceVersion is never stored): such a write is skipped. */
export function sameStored(a: KubeObject, b: KubeObject): boolean {
  const { resourceVersion: _a, ...ma } = a.metadata ?? {};
  const { resourceVersion: _b, ...mb } = b.metadata ?? {};
  return deepEqual({ ...a, metadata: ma }, { ...b, metadata: mb });
}

/** What a write stored, as a reader will see it: resourceVersion = the write's revision. */
export function stored<T extends KubeObject>(obj: T, revision: string): T {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: revision } };
}

/** What errors call the object at `key`: [resource, name]. */
export function keyLabel(key: string): [string, string] {
  const { resource, name } = keyIdentity(key);
  return [resource, name];
}

/** A delete's preconditions against the stored object at `modRevision`: ConflictError naming the one that failed. */
export function checkPreconditions(key: string, current: KubeObject, modRevision: string, pre: Preconditions | undefined): void {
  if (pre?.uid && current.metadata.uid !== pre.uid) {
    throw new ConflictError(...keyLabel(key), `precondition failed: uid in precondition ${pre.uid}, uid of the object ${current.metadata.uid}`);
  }
  if (pre?.resourceVersion && modRevision !== pre.resourceVersion) {
    throw new ConflictError(...keyLabel(key), `precondition failed: resourceVersion in precondition ${pre.resourceVersion}, resourceVersion of the object ${modRevision}`);
  }
}

/** Whether some mirror keeps a copy of the objects at `key`. */
export function isMirrored(mirrors: readonly Mirror[], key: string): boolean {
  return mirrors.some((m) => key.startsWith(m.prefix));
}

/** A lease would end a mirrored object alone and leave its mirror behind: refused. */
export function checkLeasable(mirrors: readonly Mirror[], key: string, opts: StorageCreateOptions): void {
  if ((opts.lease || opts.ttlSeconds) && isMirrored(mirrors, key)) throw new BadRequestError(`${key}: a mirrored object cannot be put on a lease`);
}
