// Reading an object's controller owner references: which controller (if any) manages it.
import type { KubeObject, OwnerReference } from '@coxswain/objects';

/** The replication controller that manages the object, if any (the first controller ref of that kind). */
export function rcOwner(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'ReplicationController');
}

/** True when a controller ref (of any kind) names this uid. */
export function ownedBy(obj: KubeObject, uid: string | undefined): boolean {
  return !!uid && !!obj.metadata.ownerReferences?.some((r) => r.controller && r.uid === uid);
}

/** True when some controller manages the object: nobody else may adopt it. */
export function hasController(obj: KubeObject): boolean {
  return !!obj.metadata.ownerReferences?.some((r) => r.controller);
}
