import type { Endpoints, Event, KubeObject, Minion, Pod, ReplicationController, Service } from '../types';
import { validateInternal } from './index';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'redis-master-2', namespace: 'default', labels: { name: 'redis-master' }, resourceVersion: '12', uid: 'u-1', generation: 1, creationTimestamp: '2014-10-06T10:00:00Z' },
  spec: {
    containers: [{
      name: 'master',
      image: 'dockerfile/redis',
      ports: [{ name: 'redis', containerPort: 6379, hostPort: 6379, protocol: 'TCP' }],
      env: [{ name: 'REDIS_MODE', value: 'master' }],
      resources: { limits: { cpu: '250m', memory: '64Mi' } },
      livenessProbe: { tcpSocket: { port: 'redis' }, initialDelaySeconds: 5 },
      lifecycle: { preStop: { exec: { command: ['redis-cli', 'shutdown'] } } },
    }],
    restartPolicy: 'Always',
  },
  status: { phase: 'Running', hostIP: '127.0.1.1', podIP: '172.30.1.2' },
};

const rc: ReplicationController = {
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name: 'redisSlaveController', namespace: 'default', labels: { name: 'redisslave' } },
  spec: {
    replicas: 2,
    selector: { name: 'redisslave' },
    template: {
      metadata: { labels: { name: 'redisslave', stage: 'production' } },
      spec: { containers: [{ name: 'slave', image: 'brendanburns/redis-slave', ports: [{ containerPort: 6379, hostPort: 6380 }] }] },
    },
  },
  status: { replicas: 2, observedGeneration: 1 },
};

const svc: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'redismaster', namespace: 'default' },
  spec: { ports: [{ port: 10000, targetPort: 6379, protocol: 'TCP' }], selector: { name: 'redis-master' }, sessionAffinity: 'None' },
};

const minion: Minion = {
  apiVersion: 'v1',
  kind: 'Minion',
  metadata: { name: '127.0.1.1', labels: { zone: 'a' } },
  spec: { podCIDR: '172.30.1.0/24' },
  status: {
    addresses: [{ type: 'InternalIP', address: '127.0.1.1' }],
    capacity: { cpu: '2', memory: '4Gi', pods: '40' },
    conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2014-10-06T10:00:00.123Z' }],
    kubeletEndpoint: 'http://127.0.1.1:10250',
    serviceAddress: '172.30.1.1',
  },
};

const endpoints: Endpoints = {
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name: 'redismaster', namespace: 'default' },
  subsets: [{ addresses: [{ ip: '172.30.1.2', targetRef: { kind: 'Pod', name: 'redis-master-2' } }], ports: [{ port: 6379 }] }],
};

const event: Event = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'redis-master-2.1', namespace: 'default' },
  involvedObject: { kind: 'Pod', name: 'redis-master-2', namespace: 'default', resourceVersion: '12' },
  reason: 'Scheduled',
  message: 'assigned to 127.0.1.1',
  type: 'Normal',
  source: { component: 'scheduler' },
  count: 1,
  firstTimestamp: '2014-10-06T10:00:00Z',
  lastTimestamp: '2014-10-06T10:00:01Z',
};

function causesOf<T extends KubeObject>(base: T, mutate: (o: T) => void): string[] {
  const o = clone(base);
  mutate(o);
  return validateInternal(o).map((c) => `${c.field}: ${c.message}`);
}

describe('validateInternal: good objects', () => {
  it.each([
    ['pod', pod], ['replication controller', rc], ['service', svc], ['minion', minion], ['endpoints', endpoints], ['event', event],
  ] as [string, KubeObject][])('accepts a full %s', (_n, obj) => {
    expect(validateInternal(obj)).toEqual([]);
  });

  it.each([
    ['a camel-case name like the seed', (p: Pod) => { p.metadata.name = 'redisSlaveController'; }],
    ['a uuid name', (p: Pod) => { p.metadata.name = '4df5661d-4e0b-11e4-957e-42010af01e53'; }],
    ['a dotted name', (p: Pod) => { p.metadata.name = 'kubernetes-minion-2.c.pivotal-gearing-505.internal'; }],
    ['a 253-character name', (p: Pod) => { p.metadata.name = 'a'.repeat(253); }],
    ['generateName instead of a name', (p: Pod) => { delete (p.metadata as { name?: string }).name; p.metadata.generateName = 'redisslave-'; }],
    ['a prefixed label key', (p: Pod) => { p.metadata.labels = { 'example.com/app': 'x', replicationController: 'redisSlaveController' }; }],
    ['an empty label value', (p: Pod) => { p.metadata.labels = { tier: '' }; }],
    ['no labels, no status', (p: Pod) => { delete p.metadata.labels; delete p.status; }],
    ['a numeric probe port', (p: Pod) => { p.spec.containers[0].livenessProbe = { httpGet: { path: '/', port: 8080 } }; }],
    ['restartPolicy Never', (p: Pod) => { p.spec.restartPolicy = 'Never'; }],
    ['two containers with different host ports', (p: Pod) => { p.spec.containers.push({ name: 'sidecar', image: 'busybox', ports: [{ containerPort: 80, hostPort: 8080 }] }); }],
    ['the same host port on TCP and UDP', (p: Pod) => { p.spec.containers[0].ports!.push({ containerPort: 53, hostPort: 6379, protocol: 'UDP' }); }],
    ['a quantity like 1.5Gi and 0.5', (p: Pod) => { p.spec.containers[0].resources = { limits: { cpu: '0.5', memory: '1.5Gi' } }; }],
    ['an upper-case container name', (p: Pod) => { p.spec.containers[0].name = 'Master'; }],
  ] as [string, (p: Pod) => void][])('accepts a pod with %s', (_n, mutate) => {
    expect(causesOf(pod, mutate)).toEqual([]);
  });

  it('accepts an RC with zero replicas and a selector that is a subset of the template labels', () => {
    expect(causesOf(rc, (r) => { r.spec.replicas = 0; })).toEqual([]);
  });

  it('accepts a service with a named target port and several named ports', () => {
    expect(causesOf(svc, (s) => { s.spec.ports = [{ name: 'redis', port: 10000, targetPort: 'redis' }, { name: 'admin', port: 10001, targetPort: 16379 }]; })).toEqual([]);
  });
});

describe('validateInternal: bad objects', () => {
  it.each([
    ['missing kind', (o: Pod) => { delete (o as Partial<Pod>).kind; }, ['kind: required']],
    ['unknown kind', (o: Pod) => { (o as { kind: string }).kind = 'DaemonSet'; }, ['kind: unknown kind "DaemonSet"']],
    ['empty name', (o: Pod) => { o.metadata.name = ''; }, ['metadata.name: must not be empty']],
    ['a slash in the name', (o: Pod) => { o.metadata.name = 'a/b'; }, ['metadata.name: must consist of letters, digits, "-" and ".", and start and end with a letter or digit']],
    ['a space in the name', (o: Pod) => { o.metadata.name = 'redis master'; }, ['metadata.name: must consist of letters, digits, "-" and ".", and start and end with a letter or digit']],
    ['an underscore in the name', (o: Pod) => { o.metadata.name = 'redis_master'; }, ['metadata.name: must consist of letters, digits, "-" and ".", and start and end with a letter or digit']],
    ['a name ending in -', (o: Pod) => { o.metadata.name = 'redis-'; }, ['metadata.name: must consist of letters, digits, "-" and ".", and start and end with a letter or digit']],
    ['a 254-character name', (o: Pod) => { o.metadata.name = 'a'.repeat(254); }, ['metadata.name: must be at most 253 characters']],
    ['no name and no generateName', (o: Pod) => { delete (o.metadata as { name?: string }).name; }, ['metadata.name: required']],
    ['a numeric name', (o: Pod) => { (o.metadata as { name: unknown }).name = 42; }, ['metadata.name: must be a string']],
    ['an upper-case namespace', (o: Pod) => { o.metadata.namespace = 'Default'; }, ['metadata.namespace: must be lower-case letters, digits and "-", starting and ending with a letter or digit']],
    ['a numeric resourceVersion', (o: Pod) => { (o.metadata as { resourceVersion: unknown }).resourceVersion = 12; }, ['metadata.resourceVersion: must be a string']],
    ['a non-decimal resourceVersion', (o: Pod) => { o.metadata.resourceVersion = 'abc'; }, ['metadata.resourceVersion: must be a decimal revision']],
    ['a bad creationTimestamp', (o: Pod) => { o.metadata.creationTimestamp = 'yesterday'; }, ['metadata.creationTimestamp: must be an RFC 3339 timestamp']],
    ['a label value that is a number', (o: Pod) => { (o.metadata.labels as Record<string, unknown>).name = 5; }, ['metadata.labels.name: must be a string']],
    ['a label key with a space', (o: Pod) => { o.metadata.labels = { 'my app': 'x' }; }, ['metadata.labels: invalid key "my app": letters, digits, "-", "_" and ".", starting and ending with a letter or digit']],
    ['a label key with an upper-case prefix', (o: Pod) => { o.metadata.labels = { 'Example.com/app': 'x' }; }, ['metadata.labels: invalid key "Example.com/app": the prefix must be a lower-case DNS subdomain']],
    ['a label key with an empty name', (o: Pod) => { o.metadata.labels = { 'example.com/': 'x' }; }, ['metadata.labels: invalid key "example.com/": the name must not be empty']],
    ['a 64-character label key', (o: Pod) => { o.metadata.labels = { ['k'.repeat(64)]: 'x' }; }, [`metadata.labels: invalid key "${'k'.repeat(64)}": the name must be at most 63 characters`]],
    ['a 64-character label value', (o: Pod) => { o.metadata.labels = { name: 'v'.repeat(64) }; }, ['metadata.labels: invalid value for "name": must be at most 63 characters']],
    ['a label value with a control character', (o: Pod) => { o.metadata.labels = { name: 'a\nb' }; }, ['metadata.labels: invalid value for "name": must not contain control characters']],
    ['an unknown top-level field', (o: Pod) => { (o as unknown as Record<string, unknown>).desiredState = {}; }, ['desiredState: unknown field']],
    ['no spec', (o: Pod) => { delete (o as Partial<Pod>).spec; }, ['spec: required']],
    ['no containers', (o: Pod) => { o.spec.containers = []; }, ['spec.containers: must have at least 1 item']],
    ['a container without an image', (o: Pod) => { delete (o.spec.containers[0] as Partial<Pod['spec']['containers'][0]>).image; }, ['spec.containers[0].image: required']],
    ['an empty image', (o: Pod) => { o.spec.containers[0].image = ''; }, ['spec.containers[0].image: must not be empty']],
    ['an unknown container field', (o: Pod) => { (o.spec.containers[0] as unknown as Record<string, unknown>).imagee = 'x'; }, ['spec.containers[0].imagee: unknown field']],
    ['a command that is a string', (o: Pod) => { (o.spec.containers[0] as unknown as Record<string, unknown>).command = 'redis-server'; }, ['spec.containers[0].command: must be an array']],
    ['a container name with an underscore', (o: Pod) => { o.spec.containers[0].name = 'redis_master'; }, ['spec.containers[0].name: must be letters, digits and "-", starting and ending with a letter or digit']],
    ['an empty container name', (o: Pod) => { o.spec.containers[0].name = ''; }, ['spec.containers[0].name: must not be empty']],
    ['duplicate container names', (o: Pod) => { o.spec.containers.push({ name: 'master', image: 'busybox' }); }, ['spec.containers[1].name: duplicate container name "master"']],
    ['duplicate host ports', (o: Pod) => { o.spec.containers.push({ name: 'other', image: 'busybox', ports: [{ containerPort: 7000, hostPort: 6379 }] }); }, ['spec.containers[1].ports[0].hostPort: duplicate host port 6379/TCP in the pod']],
    ['containerPort 0', (o: Pod) => { o.spec.containers[0].ports![0].containerPort = 0; }, ['spec.containers[0].ports[0].containerPort: must be between 1 and 65535']],
    ['containerPort 65536', (o: Pod) => { o.spec.containers[0].ports![0].containerPort = 65536; }, ['spec.containers[0].ports[0].containerPort: must be between 1 and 65535']],
    ['a string containerPort', (o: Pod) => { (o.spec.containers[0].ports![0] as unknown as Record<string, unknown>).containerPort = '6379'; }, ['spec.containers[0].ports[0].containerPort: must be an integer']],
    ['a fractional hostPort', (o: Pod) => { o.spec.containers[0].ports![0].hostPort = 80.5; }, ['spec.containers[0].ports[0].hostPort: must be an integer']],
    ['a negative hostPort', (o: Pod) => { o.spec.containers[0].ports![0].hostPort = -1; }, ['spec.containers[0].ports[0].hostPort: must be between 1 and 65535']],
    ['a protocol in lower case', (o: Pod) => { (o.spec.containers[0].ports![0] as { protocol: string }).protocol = 'tcp'; }, ['spec.containers[0].ports[0].protocol: must be one of: "TCP", "UDP"']],
    ['a numeric port name', (o: Pod) => { o.spec.containers[0].ports![0].name = '8080'; o.spec.containers[0].livenessProbe = { tcpSocket: { port: 6379 } }; }, ['spec.containers[0].ports[0].name: must be letters, digits and "-" with at least one letter, starting and ending with a letter or digit']],
    ['a 16-character port name', (o: Pod) => { o.spec.containers[0].ports![0].name = 'p'.repeat(16); o.spec.containers[0].livenessProbe = { tcpSocket: { port: 6379 } }; }, ['spec.containers[0].ports[0].name: must be at most 15 characters']],
    ['a bad env name', (o: Pod) => { o.spec.containers[0].env = [{ name: '1VAR', value: 'x' }]; }, ['spec.containers[0].env[0].name: must be a C identifier (letters, digits and "_", not starting with a digit)']],
    ['an env value that is a number', (o: Pod) => { (o.spec.containers[0].env![0] as unknown as Record<string, unknown>).value = 1; }, ['spec.containers[0].env[0].value: must be a string']],
    ['a cpu limit that is a number', (o: Pod) => { (o.spec.containers[0].resources!.limits as Record<string, unknown>).cpu = 250; }, ['spec.containers[0].resources.limits.cpu: must be a string']],
    ['a cpu limit in bytes', (o: Pod) => { o.spec.containers[0].resources!.limits!.cpu = '64Mi'; }, ['spec.containers[0].resources.limits.cpu: must be a cpu quantity like 250m, 0.5 or 2']],
    ['a memory request in millibytes', (o: Pod) => { o.spec.containers[0].resources!.requests = { memory: '100m' }; }, ['spec.containers[0].resources.requests.memory: must be a memory quantity like 64Mi, 1G or 1000000']],
    ['a bad memory quantity', (o: Pod) => { o.spec.containers[0].resources!.limits!.memory = '64MB'; }, ['spec.containers[0].resources.limits.memory: must be a quantity like 250m, 1, 64Mi or 1000000']],
    ['a probe with two actions', (o: Pod) => { o.spec.containers[0].livenessProbe = { tcpSocket: { port: 6379 }, exec: { command: ['true'] } }; }, ['spec.containers[0].livenessProbe: must have exactly one of exec, httpGet, tcpSocket (has exec, tcpSocket)']],
    ['a probe with no action', (o: Pod) => { o.spec.containers[0].livenessProbe = { initialDelaySeconds: 3 }; }, ['spec.containers[0].livenessProbe: must have exactly one of exec, httpGet, tcpSocket']],
    ['a lifecycle handler with no action', (o: Pod) => { o.spec.containers[0].lifecycle = { postStart: {} }; }, ['spec.containers[0].lifecycle.postStart: must have exactly one of exec, httpGet, tcpSocket']],
    ['a probe on an unknown named port', (o: Pod) => { o.spec.containers[0].readinessProbe = { httpGet: { port: 'http' } }; }, ['spec.containers[0].readinessProbe.httpGet.port: no container port named "http"']],
    ['a probe on port 0', (o: Pod) => { o.spec.containers[0].readinessProbe = { httpGet: { port: 0 } }; }, ['spec.containers[0].readinessProbe.httpGet.port: must be between 1 and 65535']],
    ['an exec probe without a command', (o: Pod) => { o.spec.containers[0].livenessProbe = { exec: { command: [] } }; }, ['spec.containers[0].livenessProbe.exec.command: must have at least 1 item']],
    ['a negative probe delay', (o: Pod) => { o.spec.containers[0].livenessProbe!.initialDelaySeconds = -1; }, ['spec.containers[0].livenessProbe.initialDelaySeconds: must be at least 0']],
    ['an unknown restartPolicy', (o: Pod) => { (o.spec as { restartPolicy: string }).restartPolicy = 'Sometimes'; }, ['spec.restartPolicy: must be one of: "Always", "OnFailure", "Never"']],
    ['an unknown imagePullPolicy', (o: Pod) => { (o.spec.containers[0] as { imagePullPolicy?: string }).imagePullPolicy = 'PullAlways'; }, ['spec.containers[0].imagePullPolicy: must be one of: "Always", "IfNotPresent", "Never"']],
    ['a bad nodeName', (o: Pod) => { o.spec.nodeName = 'minion one'; }, ['spec.nodeName: must consist of letters, digits, "-" and ".", and start and end with a letter or digit']],
    ['a bad podIP', (o: Pod) => { o.status!.podIP = '300.1.1.1'; }, ['status.podIP: must be an IP address']],
    ['an unknown phase', (o: Pod) => { (o.status as { phase: string }).phase = 'Waiting'; }, ['status.phase: must be one of: "Pending", "Running", "Succeeded", "Failed", "Unknown"']],
    ['a container status without ready', (o: Pod) => { o.status!.containerStatuses = [{ name: 'master', state: {}, restartCount: 0, image: 'x' } as never]; }, ['status.containerStatuses[0].ready: required']],
  ] as [string, (p: Pod) => void, string[]][])('rejects a pod with %s', (_n, mutate, expected) => {
    expect(causesOf(pod, mutate)).toEqual(expected);
  });

  it('reports every problem of a pod at once', () => {
    const causes = causesOf(pod, (p) => {
      delete (p.spec.containers[0] as Partial<Pod['spec']['containers'][0]>).image;
      p.spec.containers[0].ports![0].protocol = 'SCTP' as 'TCP';
      (p.metadata as { generation: unknown }).generation = 'one';
    });
    expect(causes).toEqual(expect.arrayContaining([
      'spec.containers[0].image: required',
      'spec.containers[0].ports[0].protocol: must be one of: "TCP", "UDP"',
      'metadata.generation: must be an integer',
    ]));
    expect(causes).toHaveLength(3);
  });

  it.each([
    ['negative replicas', (r: ReplicationController) => { r.spec.replicas = -1; }, ['spec.replicas: must be at least 0']],
    ['fractional replicas', (r: ReplicationController) => { r.spec.replicas = 1.5; }, ['spec.replicas: must be an integer']],
    ['string replicas', (r: ReplicationController) => { (r.spec as { replicas: unknown }).replicas = '2'; }, ['spec.replicas: must be an integer']],
    ['an empty selector', (r: ReplicationController) => { r.spec.selector = {}; }, ['spec.selector: must not be empty']],
    ['a selector the template does not match', (r: ReplicationController) => { r.spec.selector = { name: 'frontend' }; }, ['spec.template.metadata.labels: must match the selector (missing name=frontend)']],
    ['a template without labels', (r: ReplicationController) => { delete r.spec.template.metadata; }, ['spec.template.metadata.labels: must match the selector (missing name=redisslave)']],
    ['a template without a spec', (r: ReplicationController) => { delete (r.spec.template as { spec?: unknown }).spec; }, ['spec.template.spec: required']],
    ['a template container without an image', (r: ReplicationController) => { delete (r.spec.template.spec.containers[0] as { image?: string }).image; }, ['spec.template.spec.containers[0].image: required']],
    ['a template container port out of range', (r: ReplicationController) => { r.spec.template.spec.containers[0].ports![0].hostPort = 70000; }, ['spec.template.spec.containers[0].ports[0].hostPort: must be between 1 and 65535']],
    ['no selector', (r: ReplicationController) => { delete (r.spec as { selector?: unknown }).selector; }, ['spec.selector: required']],
    ['a bad selector key', (r: ReplicationController) => { r.spec.selector = { 'a b': 'x' }; r.spec.template.metadata!.labels = { 'a b': 'x' }; }, ['spec.selector: invalid key "a b": letters, digits, "-", "_" and ".", starting and ending with a letter or digit', 'spec.template.metadata.labels: invalid key "a b": letters, digits, "-", "_" and ".", starting and ending with a letter or digit']],
    ['a status without replicas', (r: ReplicationController) => { r.status = {} as never; }, ['status.replicas: required']],
  ] as [string, (r: ReplicationController) => void, string[]][])('rejects an RC with %s', (_n, mutate, expected) => {
    expect(causesOf(rc, mutate)).toEqual(expected);
  });

  it.each([
    ['no ports', (s: Service) => { s.spec.ports = []; }, ['spec.ports: must have at least 1 item']],
    ['port 0', (s: Service) => { s.spec.ports[0].port = 0; }, ['spec.ports[0].port: must be between 1 and 65535']],
    ['port 65536', (s: Service) => { s.spec.ports[0].port = 65536; }, ['spec.ports[0].port: must be between 1 and 65535']],
    ['a string port', (s: Service) => { (s.spec.ports[0] as { port: unknown }).port = '10000'; }, ['spec.ports[0].port: must be an integer']],
    ['targetPort 0', (s: Service) => { s.spec.ports[0].targetPort = 0; }, ['spec.ports[0].targetPort: must be between 1 and 65535']],
    ['a targetPort name with a space', (s: Service) => { s.spec.ports[0].targetPort = 'redis port'; }, ['spec.ports[0].targetPort: must be letters, digits and "-" with at least one letter, starting and ending with a letter or digit']],
    ['an empty targetPort name', (s: Service) => { s.spec.ports[0].targetPort = ''; }, ['spec.ports[0].targetPort: must not be empty']],
    ['a boolean targetPort', (s: Service) => { (s.spec.ports[0] as { targetPort: unknown }).targetPort = true; }, ['spec.ports[0].targetPort: must be an integer or a string']],
    ['an unknown sessionAffinity', (s: Service) => { (s.spec as { sessionAffinity: string }).sessionAffinity = 'Sticky'; }, ['spec.sessionAffinity: must be one of: "None", "ClientIP"']],
    ['two unnamed ports', (s: Service) => { s.spec.ports.push({ port: 10001 }); }, ['spec.ports[0].name: required when a service has several ports', 'spec.ports[1].name: required when a service has several ports']],
    ['a duplicate port', (s: Service) => { s.spec.ports = [{ name: 'a', port: 80 }, { name: 'b', port: 80 }]; }, ['spec.ports[1].port: duplicate port 80/TCP']],
    ['a duplicate port name', (s: Service) => { s.spec.ports = [{ name: 'a', port: 80 }, { name: 'a', port: 81 }]; }, ['spec.ports[1].name: duplicate port name "a"']],
    ['a selector value that is not a string', (s: Service) => { (s.spec.selector as Record<string, unknown>).name = null; }, ['spec.selector.name: must be a string']],
  ] as [string, (s: Service) => void, string[]][])('rejects a service with %s', (_n, mutate, expected) => {
    expect(causesOf(svc, mutate)).toEqual(expected);
  });

  it.each([
    ['a bad podCIDR', (m: Minion) => { m.spec!.podCIDR = '172.30.1.0'; }, ['spec.podCIDR: must be a CIDR like 172.30.1.0/24']],
    ['a bad address', (m: Minion) => { m.status!.addresses![0].address = 'not-an-ip'; }, ['status.addresses[0].address: must be an IP address']],
    ['a bad capacity', (m: Minion) => { m.status!.capacity!.cpu = 'two'; }, ['status.capacity.cpu: must be a quantity like 250m, 1, 64Mi or 1000000']],
    ['a condition status of Full', (m: Minion) => { (m.status!.conditions![0] as { status: string }).status = 'Full'; }, ['status.conditions[0].status: must be one of: "True", "False", "Unknown"']],
    ['a namespace-free name with a space', (m: Minion) => { m.metadata.name = 'minion 1'; }, ['metadata.name: must consist of letters, digits, "-" and ".", and start and end with a letter or digit']],
  ] as [string, (m: Minion) => void, string[]][])('rejects a minion with %s', (_n, mutate, expected) => {
    expect(causesOf(minion, mutate)).toEqual(expected);
  });

  it.each([
    ['no subsets', (e: Endpoints) => { delete (e as { subsets?: unknown }).subsets; }, ['subsets: required']],
    ['a bad ip', (e: Endpoints) => { e.subsets[0].addresses![0].ip = '172.30.1'; }, ['subsets[0].addresses[0].ip: must be an IP address']],
    ['port 0', (e: Endpoints) => { e.subsets[0].ports![0].port = 0; }, ['subsets[0].ports[0].port: must be between 1 and 65535']],
  ] as [string, (e: Endpoints) => void, string[]][])('rejects endpoints with %s', (_n, mutate, expected) => {
    expect(causesOf(endpoints, mutate)).toEqual(expected);
  });

  it.each([
    ['no reason', (e: Event) => { delete (e as { reason?: string }).reason; }, ['reason: required']],
    ['count 0', (e: Event) => { e.count = 0; }, ['count: must be at least 1']],
    ['an unknown type', (e: Event) => { (e as { type: string }).type = 'Error'; }, ['type: must be one of: "Normal", "Warning"']],
    ['an involved object without a name', (e: Event) => { delete (e.involvedObject as { name?: string }).name; }, ['involvedObject.name: required']],
    ['lastTimestamp before firstTimestamp', (e: Event) => { e.lastTimestamp = '2014-10-06T09:00:00Z'; }, ['lastTimestamp: must not be before firstTimestamp']],
  ] as [string, (e: Event) => void, string[]][])('rejects an event with %s', (_n, mutate, expected) => {
    expect(causesOf(event, mutate)).toEqual(expected);
  });

  it('does not throw on bodies that are not objects', () => {
    expect(validateInternal(null as never)).toEqual([{ field: 'kind', message: 'required' }]);
    expect(validateInternal({ kind: 'Pod' } as never)).toEqual([
      { field: 'apiVersion', message: 'required' },
      { field: 'metadata', message: 'required' },
      { field: 'spec', message: 'required' },
    ]);
  });
});
