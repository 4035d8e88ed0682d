// The scale subresource of replication controllers (`/api/v1/.../replicationcontrollers/NAME/scale`),
// as autoscaling/v1 Scale: spec.replicas is the controller's, status.replicas what it last counted,
// status.selector its selector as a string. `kubectl scale rc` PATCHes it (1.32), HPA-style clients
// GET and PUT it. Only spec.replicas is written; the controller's other fields and status stay.
import { ConflictError, formatSelector, type ReplicationController } from '@coxswain/objects';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http-response';
import { checkResourceVersion, objectNamespace, RequestScope } from './request-scope';
import { readBody, readObjectBody } from './request-body';
import { patchFunction, patchType, RestDeps } from './rest-handlers';
import { badRequest, invalid, notFound } from './status';

export interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: Record<string, unknown>;
  spec: { replicas: number };
  status: { replicas: number; selector: string };
}

/** Scale is served for replication controllers in v1 (the seed's v1beta1 has no subresources but status). */
function checkScalable(scope: RequestScope): void {
  if (scope.info.resource !== 'replicationControllers' || scope.codec.version !== 'v1') {
    throw notFound(`${scope.info.resource} in ${scope.codec.version} have no subresource "scale"`);
  }
}

export function scaleOf(rc: ReplicationController): Scale {
  const { name, namespace, uid, resourceVersion, creationTimestamp } = rc.metadata;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: rc.spec.replicas },
    status: { replicas: rc.status?.replicas ?? 0, selector: formatSelector(rc.spec.selector) },
  };
}

/** The replicas a Scale body asks for: a whole number >= 0 (422 naming spec.replicas otherwise). */
function wantedReplicas(name: string, body: Record<string, unknown>): number {
  if (body.kind !== undefined && body.kind !== 'Scale') throw badRequest(`body kind "${String(body.kind)}" is not Scale`, { causes: [{ field: 'kind', message: 'must be Scale', reason: 'FieldValueInvalid' }] });
  const replicas = (body.spec as { replicas?: unknown } | undefined)?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', name, [{ field: 'spec.replicas', message: `must be a whole number >= 0, got ${JSON.stringify(replicas)}`, reason: 'FieldValueInvalid' }]);
  }
  return replicas;
}

/** Writes spec.replicas from the Scale that `toScale` makes of the current controller (retried on a lost race). */
async function writeScale(deps: RestDeps, res: ServerResponse, scope: RequestScope, name: string, toScale: (current: Scale) => Record<string, unknown>): Promise<void> {
  const updated = await deps.store.guaranteedUpdate<ReplicationController>(scope.info.resource, objectNamespace(scope), name, (current) => {
    const scale = toScale(scaleOf(current));
    const rv = (scale.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
    const precondition = checkResourceVersion(rv === undefined || rv === null ? undefined : String(rv), 'metadata.resourceVersion');
    if (precondition !== undefined && precondition !== current.metadata.resourceVersion) {
      throw new ConflictError(scope.info.resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return { ...current, spec: { ...current.spec, replicas: wantedReplicas(name, scale) } };
  }, { dryRun: scope.dryRun });
  sendJson(res, 200, scaleOf(updated));
}

export async function getScale(deps: RestDeps, res: ServerResponse, scope: RequestScope, name: string): Promise<void> {
  checkScalable(scope);
  const rc = await deps.store.get<ReplicationController>(scope.info.resource, objectNamespace(scope), name);
  sendJson(res, 200, scaleOf(rc));
}

export async function putScale(deps: RestDeps, req: IncomingMessage, res: ServerResponse, scope: RequestScope, name: string): Promise<void> {
  checkScalable(scope);
  const body = await readObjectBody(req, deps.maxBodyBytes);
  await writeScale(deps, res, scope, name, () => body);
}

/** PATCH /scale: any of the three patch types, applied to the Scale (kubectl scale sends a merge patch of spec.replicas). */
export async function patchScale(deps: RestDeps, req: IncomingMessage, res: ServerResponse, scope: RequestScope, name: string): Promise<void> {
  checkScalable(scope);
  const apply = patchFunction(scope, 'Scale', name, patchType(req), await readBody(req, deps.maxBodyBytes));
  await writeScale(deps, res, scope, name, (current) => apply(current as unknown as Record<string, unknown>));
}
