// Replication controllers: `desiredState{replicas, replicaSelector, podTemplate}` <-> `spec{replicas,
// selector, template}`, `currentState.replicas` <-> `status.replicas`.
import type { ReplicationController } from '@coxswain/objects';
import { metaFromInternal, metaToInternal, INTERNAL_VERSION } from './meta';
import { compact, copy, nonEmpty } from './object-utils';
import { podSpecFromInternal, podSpecToInternal } from './pod-conversion';
import type { WireReplicationController } from './wire-types';

export function replicationControllerToInternal(b: WireReplicationController): ReplicationController {
  const { replicas, replicaSelector, podTemplate } = b.desiredState;
  const cur = b.currentState;
  return compact({
    apiVersion: INTERNAL_VERSION,
    kind: 'ReplicationController' as const,
    metadata: metaToInternal(b),
    spec: {
      replicas,
      selector: copy(replicaSelector),
      template: compact({
        metadata: nonEmpty({ labels: copy(podTemplate.labels), annotations: copy(podTemplate.annotations) }),
        spec: podSpecToInternal(podTemplate.desiredState, podTemplate.nodeSelector),
      }),
    },
    status: cur
      ? compact({ replicas: cur.replicas ?? 0, readyReplicas: cur.readyReplicas, observedGeneration: cur.observedGeneration })
      : undefined,
  });
}

export function replicationControllerFromInternal(rc: ReplicationController): WireReplicationController {
  const { template } = rc.spec;
  return compact({
    ...metaFromInternal('ReplicationController', rc.metadata),
    desiredState: {
      replicas: rc.spec.replicas,
      replicaSelector: copy(rc.spec.selector),
      podTemplate: compact({
        // 2014 put the controller's id in the template's manifest id (see the seed's manifests).
        desiredState: podSpecFromInternal(template.spec, rc.metadata.name ?? ''),
        nodeSelector: copy(template.spec.nodeSelector),
        labels: copy(template.metadata?.labels),
        annotations: copy(template.metadata?.annotations),
      }),
    },
    currentState: rc.status
      ? compact({ replicas: rc.status.replicas, readyReplicas: rc.status.readyReplicas, observedGeneration: rc.status.observedGeneration })
      : undefined,
    labels: copy(rc.metadata.labels),
  });
}
