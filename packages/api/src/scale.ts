// The scale subresource of replication controllers (`/api/v1/.../replicationcontrollers/NAME/scale`)
// and deployments (`/apis/apps/v1/.../deployments/NAME/scale`), as autoscaling/v1 Scale: spec.replicas
// is the object's, status.replicas what its controller last counted, status.selector its selector as a
// string. `kubectl scale rc|deployment` PATCHes it (1.32), HPA-style clients GET and PUT it. Only
// spec.replicas is written; the object's other fields and status stay.
import { ConflictError, formatSelector, type Deployment, type ReplicationController } from '@coxswain/objects';
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

/** What has a scale subresource, in which version, and its selector as the Scale's status.selector. */
const SCALABLE: Record<string, { version: string; selector: (obj: Scalable) => string }> = {
  replicationControllers: { version: 'v1', selector: (rc) => formatSelector((rc as ReplicationController).spec.selector) },
  deployments: { version: 'apps/v1', selector: (d) => formatSelector((d as Deployment).spec.selector.matchLabels) },
};

type Scalable = ReplicationController | Deployment;

/** Whether a resource has a scale subresource in a group version (what discovery lists). */
export function hasScale(resource: string, groupVersion: string): boolean {
  return SCALABLE[resource]?.version === groupVersion;
}

/** Scale is served for replication controllers in v1 (the seed's v1beta1 has no subresources but status) and deployments in apps/v1. */
function checkScalable(scope: RequestScope): void {
  if (!hasScale(scope.info.resource, scope.codec.version)) {
    throw notFound(`${scope.info.resource} in ${scope.codec.version} have no subresource "scale"`);
  }
}

function scaleOf(resource: string, obj: Scalable): Scale {
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: obj.spec.replicas },
    status: { replicas: obj.status?.replicas ?? 0, selector: SCALABLE[resource].selector(obj) },
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

/** Writes spec.replicas from the Scale that `toScale` makes of the current object (retried on a lost race). */
async function writeScale(deps: RestDeps, res: ServerResponse, scope: RequestScope, name: string, toScale: (current: Scale) => Record<string, unknown>): Promise<void> {
  const resource = scope.info.resource;
  const updated = await deps.store.guaranteedUpdate<Scalable>(resource, objectNamespace(scope), name, (current) => {
    const scale = toScale(scaleOf(resource, current));
    const rv = (scale.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
    const precondition = checkResourceVersion(rv === undefined || rv === null ? undefined : String(rv), 'metadata.resourceVersion');
    if (precondition !== undefined && precondition !== current.metadata.resourceVersion) {
      throw new ConflictError(resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return { ...current, spec: { ...current.spec, replicas: wantedReplicas(name, scale) } } as Scalable;
  }, { dryRun: scope.dryRun });
  sendJson(res, 200, scaleOf(resource, updated));
}

export async function getScale(deps: RestDeps, res: ServerResponse, scope: RequestScope, name: string): Promise<void> {
  checkScalable(scope);
  const obj = await deps.store.get<Scalable>(scope.info.resource, objectNamespace(scope), name);
  sendJson(res, 200, scaleOf(scope.info.resource, obj));
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
