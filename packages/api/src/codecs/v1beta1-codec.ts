// The seed's wire version. Validation uses schemas/v1beta1 (so error paths are already in v1beta1
// terms); decoding and encoding are the pure conversions in ./v1beta1.
import { validateSchema } from '@coxswain/objects';
import type { Endpoints, Event, FieldCause, KubeObject, Minion, Pod, ReplicationController, ResourceName, Service } from '@coxswain/objects';
import type { Codec } from './codec';
import { endpointsFromInternal, endpointsToInternal } from './v1beta1/endpoints-conversion';
import { eventFromInternal, eventToInternal } from './v1beta1/event-conversion';
import { v1beta1FieldPath } from './v1beta1/field-paths';
import { WIRE_VERSION } from './v1beta1/meta';
import { minionFromInternal, minionToInternal } from './v1beta1/minion-conversion';
import { podFromInternal, podToInternal } from './v1beta1/pod-conversion';
import { replicationControllerFromInternal, replicationControllerToInternal } from './v1beta1/replication-controller-conversion';
import { serviceFromInternal, serviceToInternal } from './v1beta1/service-conversion';
import type { WireEndpoints, WireEvent, WireMinion, WirePod, WireReplicationController, WireService } from './v1beta1/wire-types';

export interface V1beta1CodecOptions {
  /** Stamps v1beta1 events that carry no timestamp. Defaults to the wall clock. */
  now?: () => Date;
}

/** Decodes one v1beta1 object (already validated against its schema) into the internal form. */
export function v1beta1ToInternal(resource: ResourceName, body: unknown, now: () => Date = () => new Date()): KubeObject {
  switch (resource) {
    case 'pods': return podToInternal(body as WirePod);
    case 'replicationControllers': return replicationControllerToInternal(body as WireReplicationController);
    case 'services': return serviceToInternal(body as WireService);
    case 'minions': return minionToInternal(body as WireMinion);
    case 'endpoints': return endpointsToInternal(body as WireEndpoints);
    case 'events': return eventToInternal(body as WireEvent, now().toISOString());
    default: throw new Error(`v1beta1 has no resource ${String(resource)}`);
  }
}

/** Encodes an internal object in v1beta1. */
export function v1beta1FromInternal(obj: KubeObject): unknown {
  switch (obj.kind) {
    case 'Pod': return podFromInternal(obj as Pod);
    case 'ReplicationController': return replicationControllerFromInternal(obj as ReplicationController);
    case 'Service': return serviceFromInternal(obj as Service);
    case 'Minion': return minionFromInternal(obj as Minion);
    case 'Endpoints': return endpointsFromInternal(obj as Endpoints);
    case 'Event': return eventFromInternal(obj as Event);
    default: throw new Error(`v1beta1 cannot encode kind ${obj.kind}`);
  }
}

/** Checks of the wire form itself, beyond its schema: what decoding would otherwise silently choose between. */
function wireCauses(resource: ResourceName, body: unknown): FieldCause[] {
  if (resource !== 'services') return [];
  const svc = body as WireService;
  const first = svc.ports?.[0];
  if (!first) return [];
  const causes: FieldCause[] = [];
  if (first.port !== svc.port) causes.push({ field: 'ports[0].port', message: `must equal port (${svc.port})` });
  if (svc.containerPort !== undefined && first.containerPort !== svc.containerPort) {
    causes.push({ field: 'ports[0].containerPort', message: `must equal containerPort (${JSON.stringify(svc.containerPort)})` });
  }
  if (svc.protocol !== undefined && (first.protocol ?? 'TCP') !== svc.protocol) {
    causes.push({ field: 'ports[0].protocol', message: `must equal protocol (${svc.protocol})` });
  }
  return causes;
}

export function createV1beta1Codec(opts: V1beta1CodecOptions = {}): Codec {
  const now = opts.now ?? (() => new Date());
  return {
    version: WIRE_VERSION,
    internalForm: false,
    validate: (resource, body) => {
      const causes = validateSchema('v1beta1', resource, body);
      return causes.length > 0 ? causes : wireCauses(resource, body);
    },
    decode: (resource, body) => v1beta1ToInternal(resource, body, now),
    encode: v1beta1FromInternal,
    fieldPath: v1beta1FieldPath,
    nameOf: (body) => {
      const id = (body as { id?: unknown } | null)?.id;
      return typeof id === 'string' ? id : undefined;
    },
  };
}

export const v1beta1Codec: Codec = createV1beta1Codec();
