// Object builders for the reconcilers' tests.
import type { Minion, Pod, ReplicationController, Service } from '@coxswain/objects';

export function minion(
  name: string,
  opts: { ready?: boolean | 'Unknown'; labels?: Record<string, string>; cpu?: string; memory?: string; pods?: string; unschedulable?: boolean; heartbeat?: string } = {},
): Minion {
  const ready = opts.ready ?? true;
  const capacity: Record<string, string> = {};
  if (opts.cpu) capacity.cpu = opts.cpu;
  if (opts.memory) capacity.memory = opts.memory;
  if (opts.pods) capacity.pods = opts.pods;
  return {
    apiVersion: 'v1',
    kind: 'Minion',
    metadata: { name, labels: opts.labels },
    spec: { unschedulable: opts.unschedulable },
    status: {
      capacity,
      conditions: [
        {
          type: 'Ready',
          status: ready === 'Unknown' ? 'Unknown' : ready ? 'True' : 'False',
          lastHeartbeatTime: opts.heartbeat ?? new Date().toISOString(),
        },
      ],
    },
  };
}

export interface PodOpts {
  namespace?: string;
  labels?: Record<string, string>;
  hostPort?: number;
  cpu?: string;
  memory?: string;
  limitsOnly?: boolean;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  owner?: { name: string; uid: string };
  phase?: Pod['status'] extends infer S ? (S extends { phase?: infer P } ? P : never) : never;
  ready?: boolean;
  podIP?: string;
  ports?: { name?: string; containerPort: number; hostPort?: number }[];
  creationTimestamp?: string;
  resourceVersion?: string;
}

export function pod(name: string, o: PodOpts = {}): Pod {
  const res = o.cpu || o.memory ? { [o.limitsOnly ? 'limits' : 'requests']: { cpu: o.cpu, memory: o.memory } } : undefined;
  const ports = o.ports ?? (o.hostPort ? [{ containerPort: 6379, hostPort: o.hostPort }] : undefined);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: `uid-${name}`,
      resourceVersion: o.resourceVersion ?? '1',
      labels: o.labels,
      creationTimestamp: o.creationTimestamp ?? '2024-01-01T00:00:00Z',
      ownerReferences: o.owner
        ? [{ apiVersion: 'v1', kind: 'ReplicationController', name: o.owner.name, uid: o.owner.uid, controller: true }]
        : undefined,
    },
    spec: {
      containers: [{ name: 'c', image: 'busybox', ports, resources: res }],
      nodeName: o.nodeName,
      nodeSelector: o.nodeSelector,
    },
    status: {
      phase: o.phase ?? (o.nodeName ? 'Running' : 'Pending'),
      podIP: o.podIP,
      conditions: o.ready === undefined ? undefined : [{ type: 'Ready', status: o.ready ? 'True' : 'False' }],
    },
  };
}

export function rc(name: string, replicas: number, selector: Record<string, string>, o: { uid?: string; generation?: number; hostPort?: number } = {}): ReplicationController {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name, namespace: 'default', uid: o.uid ?? `uid-${name}`, generation: o.generation ?? 1, resourceVersion: '1', labels: selector },
    spec: {
      replicas,
      selector,
      template: {
        metadata: { labels: { ...selector } },
        spec: { containers: [{ name: 'c', image: 'busybox', ports: o.hostPort ? [{ containerPort: 6379, hostPort: o.hostPort }] : undefined }] },
      },
    },
    status: { replicas: 0 },
  };
}

export function service(name: string, selector: Record<string, string>, ports: Service['spec']['ports'] = [{ port: 80, targetPort: 8080 }]): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '1' },
    spec: { ports, selector },
  };
}
