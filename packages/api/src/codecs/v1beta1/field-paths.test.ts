import type { ResourceName } from '@coxswain/objects';
import { v1beta1FieldPath } from './field-paths';

describe('v1beta1FieldPath', () => {
  it.each([
    ['pods', 'metadata.name', 'id'],
    ['pods', 'metadata.labels', 'labels'],
    ['pods', 'metadata.labels.name', 'labels.name'],
    ['pods', 'metadata.namespace', 'namespace'],
    ['pods', 'metadata.resourceVersion', 'resourceVersion'],
    ['pods', 'metadata.annotations', 'annotations'],
    ['pods', 'spec.containers[0].image', 'desiredState.manifest.containers[0].image'],
    ['pods', 'spec.containers[1].ports[0].hostPort', 'desiredState.manifest.containers[1].ports[0].hostPort'],
    ['pods', 'spec.containers[0].resources.limits.cpu', 'desiredState.manifest.containers[0].cpu'],
    ['pods', 'spec.containers[0].resources.limits.memory', 'desiredState.manifest.containers[0].memory'],
    ['pods', 'spec.containers[0].command', 'desiredState.manifest.containers[0].entrypoint'],
    ['pods', 'spec.containers[0].args[1]', 'desiredState.manifest.containers[0].command[1]'],
    ['pods', 'spec.containers[0].livenessProbe.httpGet.port', 'desiredState.manifest.containers[0].livenessProbe.httpGet.port'],
    ['pods', 'spec.containers', 'desiredState.manifest.containers'],
    ['pods', 'spec', 'desiredState.manifest'],
    ['pods', 'spec.restartPolicy', 'desiredState.manifest.restartPolicy'],
    ['pods', 'spec.nodeName', 'desiredState.host'],
    ['pods', 'spec.nodeSelector', 'nodeSelector'],
    ['pods', 'spec.terminationGracePeriodSeconds', 'spec.terminationGracePeriodSeconds'],
    ['pods', 'status.phase', 'currentState.status'],
    ['pods', 'status.podIP', 'currentState.podIP'],
    ['pods', 'status.containerStatuses[0].ready', 'currentState.info'],
    ['replicationControllers', 'metadata.name', 'id'],
    ['replicationControllers', 'spec.replicas', 'desiredState.replicas'],
    ['replicationControllers', 'spec.selector', 'desiredState.replicaSelector'],
    ['replicationControllers', 'spec.template.metadata.labels', 'desiredState.podTemplate.labels'],
    ['replicationControllers', 'spec.template.spec.containers[0].image', 'desiredState.podTemplate.desiredState.manifest.containers[0].image'],
    ['replicationControllers', 'spec.template.spec.containers', 'desiredState.podTemplate.desiredState.manifest.containers'],
    ['replicationControllers', 'spec.template.spec.nodeSelector', 'desiredState.podTemplate.nodeSelector'],
    ['replicationControllers', 'spec.template.spec', 'desiredState.podTemplate.desiredState.manifest'],
    ['replicationControllers', 'spec.template', 'desiredState.podTemplate'],
    ['replicationControllers', 'status.replicas', 'currentState.replicas'],
    ['services', 'spec.ports[0].port', 'port'],
    ['services', 'spec.ports[0].targetPort', 'containerPort'],
    ['services', 'spec.ports[0].protocol', 'protocol'],
    ['services', 'spec.ports[0].name', 'ports[0].name'],
    ['services', 'spec.ports[1].targetPort', 'ports[1].containerPort'],
    ['services', 'spec.ports', 'port'],
    ['services', 'spec.selector', 'selector'],
    ['services', 'spec.sessionAffinity', 'sessionAffinity'],
    ['minions', 'spec.podCIDR', 'podCIDR'],
    ['minions', 'status.capacity.cpu', 'resources.capacity.cpu'],
    ['minions', 'status.conditions[0].type', 'status.conditions[0].kind'],
    ['minions', 'status.conditions[0].lastHeartbeatTime', 'status.conditions[0].lastProbeTime'],
    ['minions', 'status.addresses[0].address', 'status.addresses[0].address'],
    ['endpoints', 'subsets[0].addresses[1].ip', 'endpoints'],
    ['events', 'source.component', 'source'],
    ['events', 'involvedObject.name', 'involvedObject.name'],
    ['events', 'reason', 'reason'],
  ] as [ResourceName, string, string][])('%s: %s -> %s', (resource, internal, wire) => {
    expect(v1beta1FieldPath(resource, internal)).toBe(wire);
  });

  it('only renames at path boundaries', () => {
    expect(v1beta1FieldPath('pods', 'metadata.namespaceX')).toBe('metadata.namespaceX');
    expect(v1beta1FieldPath('pods', 'specs')).toBe('specs');
    expect(v1beta1FieldPath('replicationControllers', 'spec.replicasX')).toBe('desiredState.replicasX');
  });
});
