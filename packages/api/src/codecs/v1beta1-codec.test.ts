import fs from 'node:fs';
import path from 'node:path';
import { validateInternal } from '@coxswain/objects';
import type { Endpoints, Event, KubeObject, Minion, Pod, ReplicationController, ResourceName, Service } from '@coxswain/objects';
import { codecFor, CODECS } from './codec-registry';
import { createV1beta1Codec, v1beta1Codec } from './v1beta1-codec';

const seedDir = path.resolve(__dirname, '../../../../examples/seed-guestbook');
const RESOURCE: Record<string, ResourceName> = { Pod: 'pods', Service: 'services', ReplicationController: 'replicationControllers' };
const seeds = fs.readdirSync(seedDir).filter((f) => f.endsWith('.json')).sort();
const load = (file: string) => JSON.parse(fs.readFileSync(path.join(seedDir, file), 'utf8'));
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

describe('v1beta1 codec on the seed manifests', () => {
  it('covers all five seed manifests', () => {
    expect(seeds).toEqual([
      'frontend-controller.json', 'redis-master-service.json', 'redis-master.json', 'redis-slave-controller.json', 'redis-slave-service.json',
    ]);
  });

  it.each(seeds)('%s: the schema accepts it, the internal form is valid, and it reads back with the same meaning', (file) => {
    const wire = load(file);
    const resource = RESOURCE[wire.kind];
    expect(v1beta1Codec.validate(resource, wire)).toEqual([]);
    const internal = v1beta1Codec.decode(resource, clone(wire));
    expect(internal.apiVersion).toBe('v1');
    expect(internal.metadata.name).toBe(wire.id);
    expect(validateInternal({ ...internal, metadata: { ...internal.metadata, namespace: 'default' } })).toEqual([]);
    const back = v1beta1Codec.encode(internal) as Record<string, unknown>;
    expect(v1beta1Codec.validate(resource, back)).toEqual([]);
    // A pod read back also says how it is doing: the seed's "Waiting" before it is scheduled.
    if (wire.kind === 'Pod') expect(back.currentState).toEqual({ status: 'Waiting' });
    const { currentState: _status, ...rest } = back;
    expect(rest).toEqual(wire);
  });

  it('maps the seed pod onto the internal fields', () => {
    const pod = v1beta1Codec.decode('pods', load('redis-master.json')) as Pod;
    expect(pod).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'redis-master-2', labels: { name: 'redis-master' } },
      spec: { containers: [{ name: 'master', image: 'dockerfile/redis', ports: [{ containerPort: 6379, hostPort: 6379 }] }] },
    });
  });

  it('maps the seed controller onto spec.replicas, spec.selector and spec.template', () => {
    const rc = v1beta1Codec.decode('replicationControllers', load('frontend-controller.json')) as ReplicationController;
    expect(rc.spec).toEqual({
      replicas: 3,
      selector: { name: 'frontend' },
      template: {
        metadata: { labels: { name: 'frontend', stage: 'production' } },
        spec: { containers: [{ name: 'php-redis', image: 'brendanburns/php-redis', ports: [{ containerPort: 80, hostPort: 8000 }] }] },
      },
    });
    expect(rc.metadata.labels).toEqual({ name: 'frontend' });
  });

  it('maps the seed services onto spec.ports[0]', () => {
    const svc = v1beta1Codec.decode('services', load('redis-slave-service.json')) as Service;
    expect(svc.spec).toEqual({ ports: [{ port: 10001, targetPort: 6379 }], selector: { name: 'redisslave' } });
    expect(svc.metadata).toEqual({ name: 'redisslave', labels: { name: 'redisslave' } });
  });

  it('does not share structure with its input (cached objects stay untouched)', () => {
    const wire = load('redis-slave-controller.json');
    const internal = v1beta1Codec.decode('replicationControllers', wire) as ReplicationController;
    internal.spec.selector.name = 'changed';
    internal.spec.template.spec.containers[0].ports![0].hostPort = 1;
    expect(wire).toEqual(load('redis-slave-controller.json'));
    const out = v1beta1Codec.encode(internal) as { desiredState: { replicaSelector: Record<string, string> } };
    out.desiredState.replicaSelector.name = 'again';
    expect(internal.spec.selector.name).toBe('changed');
  });
});

// Internal objects that use every field v1beta1 carries: internal -> v1beta1 -> internal is the identity.
const fullPod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'redisslavecontroller-x7k2p', namespace: 'default', uid: '4df5661d', resourceVersion: '42', generation: 3,
    labels: { name: 'redisslave', replicationController: 'redisSlaveController' }, annotations: { 'coxswain.io/note': 'hi' },
    creationTimestamp: '2014-10-06T10:00:00Z', generateName: 'redisslavecontroller-',
    ownerReferences: [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'redisSlaveController', uid: 'rc-1', controller: true }],
  },
  spec: {
    containers: [
      {
        name: 'slave', image: 'brendanburns/redis-slave', command: ['/entry.sh'], args: ['redis-server', '--slaveof', 'redismaster'],
        workingDir: '/data', env: [{ name: 'GET_HOSTS_FROM', value: 'env' }, { name: 'EMPTY' }],
        ports: [{ name: 'redis', containerPort: 6379, hostPort: 6380, protocol: 'TCP' }],
        resources: { limits: { cpu: '250m', memory: '64Mi' } },
        livenessProbe: { tcpSocket: { port: 'redis' }, initialDelaySeconds: 5, timeoutSeconds: 1, periodSeconds: 10, failureThreshold: 3 },
        readinessProbe: { exec: { command: ['redis-cli', 'ping'] } },
        lifecycle: { postStart: { httpGet: { path: '/up', port: 8080, host: 'localhost' } }, preStop: { exec: { command: ['true'] } } },
        imagePullPolicy: 'IfNotPresent',
      },
      { name: 'sidecar', image: 'busybox', resources: { limits: { cpu: '1' } } },
    ],
    restartPolicy: 'OnFailure',
    nodeName: '127.0.1.2',
    nodeSelector: { disk: 'ssd' },
  },
  status: {
    phase: 'Running',
    hostIP: '127.0.1.2',
    podIP: '172.30.2.5',
    containerStatuses: [
      {
        name: 'slave', ready: true, restartCount: 2, image: 'brendanburns/redis-slave', imageID: 'sha256:abc', containerID: 'docker://c1',
        state: { running: { startedAt: '2014-10-06T10:00:05Z' } },
        lastState: { terminated: { exitCode: 137, signal: 9, reason: 'OOMKilled', startedAt: '2014-10-06T10:00:01Z', finishedAt: '2014-10-06T10:00:04Z', containerID: 'docker://c0' } },
      },
      { name: 'sidecar', ready: false, restartCount: 0, image: 'busybox', state: { waiting: { reason: 'ImagePull', message: 'pulling' } } },
    ],
  },
};

const fullRc: ReplicationController = {
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name: 'redisSlaveController', namespace: 'default', uid: 'rc-1', resourceVersion: '40', generation: 2, labels: { name: 'redisslave' }, creationTimestamp: '2014-10-06T09:59:00Z' },
  spec: {
    replicas: 2,
    selector: { name: 'redisslave' },
    template: {
      metadata: { labels: { name: 'redisslave' }, annotations: { 'coxswain.io/a': 'b' } },
      spec: { containers: [{ name: 'slave', image: 'brendanburns/redis-slave', ports: [{ containerPort: 6379, hostPort: 6380 }] }], restartPolicy: 'Always', nodeSelector: { disk: 'ssd' } },
    },
  },
  status: { replicas: 2, readyReplicas: 1, observedGeneration: 2 },
};

const fullService: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'redismaster', namespace: 'default', resourceVersion: '7', labels: { name: 'redismaster' } },
  spec: { ports: [{ port: 10000, targetPort: 'redis', protocol: 'TCP' }], selector: { name: 'redis-master' }, sessionAffinity: 'ClientIP' },
};

const multiPortService: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' }], selector: { app: 'web' } },
};

const fullMinion: Minion = {
  apiVersion: 'v1',
  kind: 'Minion',
  metadata: { name: '127.0.1.1', uid: 'm-1', resourceVersion: '3', labels: { zone: 'a' } },
  spec: { podCIDR: '172.30.1.0/24', unschedulable: true },
  status: {
    addresses: [{ type: 'InternalIP', address: '127.0.1.1' }, { type: 'Hostname', address: 'minion-1' }],
    capacity: { cpu: '2', memory: '4Gi', pods: '40' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok', lastHeartbeatTime: '2014-10-06T10:00:00Z', lastTransitionTime: '2014-10-06T09:00:00Z' }],
    kubeletEndpoint: 'http://127.0.1.1:10250',
    serviceAddress: '172.30.1.1',
  },
};

const fullEndpoints: Endpoints = {
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name: 'redisslave', namespace: 'default', resourceVersion: '9' },
  subsets: [{
    addresses: [
      { ip: '172.30.1.5', nodeName: '127.0.1.1', targetRef: { kind: 'Pod', name: 'a', namespace: 'default', uid: 'p-a' } },
      { ip: '172.30.2.6' },
    ],
    notReadyAddresses: [{ ip: '172.30.2.7', targetRef: { kind: 'Pod', name: 'c' } }],
    ports: [{ port: 6379, protocol: 'TCP' }],
  }],
};

const fullEvent: Event = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'redis-master-2.17a', namespace: 'default', resourceVersion: '50' },
  involvedObject: { kind: 'Pod', name: 'redis-master-2', namespace: 'default', uid: 'p-1', resourceVersion: '41', fieldPath: 'spec.containers[0]' },
  reason: 'Started',
  message: 'started container master',
  type: 'Warning',
  source: { component: 'kubelet', host: '127.0.1.1' },
  count: 3,
  firstTimestamp: '2014-10-06T10:00:00Z',
  lastTimestamp: '2014-10-06T10:05:00Z',
};

describe('v1beta1 codec: internal -> v1beta1 -> internal', () => {
  it.each([
    ['pod', 'pods', fullPod], ['replication controller', 'replicationControllers', fullRc], ['service', 'services', fullService],
    ['multi-port service', 'services', multiPortService], ['minion', 'minions', fullMinion], ['endpoints', 'endpoints', fullEndpoints],
    ['event', 'events', fullEvent],
  ] as [string, ResourceName, KubeObject][])('is the identity for a full %s, and the wire form passes the v1beta1 schema', (_n, resource, obj) => {
    expect(validateInternal(obj)).toEqual([]);
    const wire = v1beta1Codec.encode(clone(obj));
    expect(v1beta1Codec.validate(resource, wire)).toEqual([]);
    expect(JSON.parse(JSON.stringify(wire)).apiVersion).toBe('v1beta1');
    expect(v1beta1Codec.decode(resource, JSON.parse(JSON.stringify(wire)))).toEqual(obj);
  });

  it('writes a pod the way 2014 clients read it', () => {
    const wire = v1beta1Codec.encode(fullPod) as any;
    expect(wire.id).toBe('redisslavecontroller-x7k2p');
    expect(wire.resourceVersion).toBe('42');
    expect(wire.desiredState.host).toBe('127.0.1.2');
    expect(wire.desiredState.manifest).toMatchObject({ version: 'v1beta1', id: 'redisslavecontroller-x7k2p', restartPolicy: { onFailure: {} } });
    expect(wire.desiredState.manifest.containers[0]).toMatchObject({
      entrypoint: ['/entry.sh'], command: ['redis-server', '--slaveof', 'redismaster'], cpu: 250, memory: 64 * 1024 * 1024, imagePullPolicy: 'PullIfNotPresent',
    });
    expect(wire.desiredState.manifest.containers[1].cpu).toBe(1000);
    expect(wire.currentState).toMatchObject({ status: 'Running', host: '127.0.1.2', hostIP: '127.0.1.2', podIP: '172.30.2.5' });
    expect(wire.currentState.info.slave).toMatchObject({ state: { running: { startedAt: '2014-10-06T10:00:05Z' } }, restartCount: 2, lastState: { termination: { exitCode: 137 } } });
    expect(wire.currentState.info.sidecar.state).toEqual({ waiting: { reason: 'ImagePull', message: 'pulling' } });
  });

  it('writes a service with its first port at the top level', () => {
    expect(v1beta1Codec.encode(fullService)).toMatchObject({ port: 10000, containerPort: 'redis', protocol: 'TCP', sessionAffinity: 'ClientIP', selector: { name: 'redis-master' } });
    expect((v1beta1Codec.encode(fullService) as any).ports).toBeUndefined();
    expect(v1beta1Codec.encode(multiPortService)).toMatchObject({ port: 80, containerPort: 8080, ports: [{ name: 'http', port: 80, containerPort: 8080 }, { name: 'dns', port: 53, containerPort: 53, protocol: 'UDP' }] });
  });

  it('a service with a ports list must repeat its first port at the top level', () => {
    const wire = v1beta1Codec.encode(multiPortService) as any;
    expect(v1beta1Codec.validate('services', { ...wire, port: 81 })).toEqual([{ field: 'ports[0].port', message: 'must equal port (81)' }]);
    expect(v1beta1Codec.validate('services', { ...wire, containerPort: 'http' })).toEqual([{ field: 'ports[0].containerPort', message: 'must equal containerPort ("http")' }]);
    expect(v1beta1Codec.validate('services', { ...wire, protocol: 'UDP' })).toEqual([{ field: 'ports[0].protocol', message: 'must equal protocol (UDP)' }]);
  });

  it('writes a minion with hostIP and integer capacity', () => {
    expect(v1beta1Codec.encode(fullMinion)).toMatchObject({
      id: '127.0.1.1', hostIP: '127.0.1.1', podCIDR: '172.30.1.0/24', resources: { capacity: { cpu: 2000, memory: 4 * 2 ** 30, pods: 40 } },
      status: { conditions: [{ kind: 'Ready', status: 'Full', lastProbeTime: '2014-10-06T10:00:00Z' }] },
    });
  });

  it('writes endpoints as ip:port strings', () => {
    const wire = v1beta1Codec.encode(fullEndpoints) as any;
    expect(wire.endpoints).toEqual(['172.30.1.5:6379', '172.30.2.6:6379']);
    expect(wire.targetRefs).toEqual([
      { endpoint: '172.30.1.5:6379', kind: 'Pod', name: 'a', namespace: 'default', uid: 'p-a', nodeName: '127.0.1.1' },
      { endpoint: '172.30.2.7:6379', kind: 'Pod', name: 'c', ready: false },
    ]);
  });

  it('writes an event with 2014\'s source string and timestamp', () => {
    expect(v1beta1Codec.encode(fullEvent)).toMatchObject({ source: 'kubelet', host: '127.0.1.1', timestamp: '2014-10-06T10:05:00Z', reason: 'Started' });
  });

  it('resourceVersion: accepts a number, emits a string', () => {
    const wire = { ...load('redis-master.json'), resourceVersion: 17 };
    const pod = v1beta1Codec.decode('pods', wire);
    expect(pod.metadata.resourceVersion).toBe('17');
    expect((v1beta1Codec.encode(pod) as any).resourceVersion).toBe('17');
  });

  it('encodes kinds it does not know with an error', () => {
    expect(() => v1beta1Codec.encode({ apiVersion: 'v1', kind: 'Deployment', metadata: { name: 'x' } })).toThrow(/Deployment/);
  });
});

describe('v1beta1 codec: 2014 variants on the way in', () => {
  const seedPod = () => load('redis-master.json');

  it('reads restartPolicy in the object and the string forms', () => {
    for (const [wire, internal] of [[{ always: {} }, 'Always'], [{ onFailure: {} }, 'OnFailure'], [{ never: {} }, 'Never'], ['Never', 'Never'], [{}, undefined]] as const) {
      const b = seedPod();
      b.desiredState.manifest.restartPolicy = wire;
      expect(v1beta1Codec.validate('pods', b)).toEqual([]);
      expect((v1beta1Codec.decode('pods', b) as Pod).spec.restartPolicy).toBe(internal);
    }
  });

  it('treats cpu/memory/hostPort 0 as unset, as 2014 did', () => {
    const b = seedPod();
    Object.assign(b.desiredState.manifest.containers[0], { cpu: 0, memory: 0 });
    b.desiredState.manifest.containers[0].ports[0].hostPort = 0;
    const c = (v1beta1Codec.decode('pods', b) as Pod).spec.containers[0];
    expect(c.resources).toBeUndefined();
    expect(c.ports).toEqual([{ containerPort: 6379 }]);
  });

  it('accepts readinessProbe and drops the deprecated probe type', () => {
    const b = seedPod();
    b.desiredState.manifest.containers[0].livenessProbe = { type: 'http', httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 15 };
    b.desiredState.manifest.containers[0].readinessProbe = { tcpSocket: { port: 6379 } };
    expect(v1beta1Codec.validate('pods', b)).toEqual([]);
    const c = (v1beta1Codec.decode('pods', b) as Pod).spec.containers[0];
    expect(c.livenessProbe).toEqual({ httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 15 });
    expect(c.readinessProbe).toEqual({ tcpSocket: { port: 6379 } });
  });

  it('maps PullAlways and friends', () => {
    const b = seedPod();
    b.desiredState.manifest.containers[0].imagePullPolicy = 'PullNever';
    expect((v1beta1Codec.decode('pods', b) as Pod).spec.containers[0].imagePullPolicy).toBe('Never');
  });

  it('reads a minion that gives only hostIP', () => {
    const m = v1beta1Codec.decode('minions', { id: 'm1', kind: 'Minion', hostIP: '127.0.1.3', resources: { capacity: { cpu: 1500, memory: 1000000 } } }) as Minion;
    expect(m.status).toEqual({ addresses: [{ type: 'InternalIP', address: '127.0.1.3' }], capacity: { cpu: '1500m', memory: '1M' } });
    expect(m.spec).toBeUndefined();
  });

  it('reads 2014 endpoints', () => {
    const body = { id: 'redisslave', kind: 'Endpoints', endpoints: ['10.0.0.1:6379', '10.0.0.2:6379', '10.0.0.1:9121'] };
    expect(v1beta1Codec.validate('endpoints', body)).toEqual([]);
    expect((v1beta1Codec.decode('endpoints', body) as Endpoints).subsets).toEqual([
      { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 6379 }] },
      { addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 9121 }] },
    ]);
    expect(v1beta1Codec.validate('endpoints', { ...body, endpoints: ['10.0.0.1'] })).toEqual([{ field: 'endpoints[0]', message: 'must be ip:port' }]);
  });

  it('stamps a 2014 event that has no times with the injected clock', () => {
    const codec = createV1beta1Codec({ now: () => new Date('2014-10-06T12:00:00Z') });
    const body = { kind: 'Event', id: 'e1', involvedObject: { kind: 'Pod', name: 'p', resourceVersion: 5 }, reason: 'Killing', source: 'kubelet' };
    expect(codec.validate('events', body)).toEqual([]);
    const ev = codec.decode('events', body) as Event;
    expect(ev).toMatchObject({
      involvedObject: { kind: 'Pod', name: 'p', resourceVersion: '5' }, message: '', type: 'Normal', count: 1,
      source: { component: 'kubelet' }, firstTimestamp: '2014-10-06T12:00:00.000Z', lastTimestamp: '2014-10-06T12:00:00.000Z',
    });
    expect(validateInternal(ev)).toEqual([]);
    const withTime = codec.decode('events', { ...body, timestamp: '2014-10-06T11:00:00Z' }) as Event;
    expect([withTime.firstTimestamp, withTime.lastTimestamp]).toEqual(['2014-10-06T11:00:00Z', '2014-10-06T11:00:00Z']);
  });

  it('nameOf reads id', () => {
    expect(v1beta1Codec.nameOf(seedPod())).toBe('redis-master-2');
    expect(v1beta1Codec.nameOf({})).toBeUndefined();
    expect(v1beta1Codec.nameOf(null)).toBeUndefined();
  });
});

describe('codecFor', () => {
  it('serves v1beta1 first (the default), v1, apps/v1 (Deployments) and autoscaling/v1 (HorizontalPodAutoscalers)', () => {
    expect(CODECS.map((c) => c.version)).toEqual(['v1beta1', 'v1', 'apps/v1', 'autoscaling/v1']);
    expect(codecFor('v1beta1')).toBe(v1beta1Codec);
    expect(codecFor('v1')?.version).toBe('v1');
    expect(codecFor('v1beta3')).toBeUndefined();
  });
});

describe('v1beta1 codec: store validation errors in the seed\'s terms', () => {
  const causesFor = (resource: ResourceName, wire: unknown) => {
    expect(v1beta1Codec.validate(resource, wire)).toEqual([]);
    const obj = v1beta1Codec.decode(resource, wire);
    return validateInternal(obj).map((c) => `${v1beta1Codec.fieldPath(resource, c.field)}: ${c.message}`);
  };

  it('names the v1beta1 fields of semantic problems', () => {
    const rc = load('redis-slave-controller.json');
    rc.id = 'redis slave';
    rc.desiredState.replicaSelector = { name: 'other' };
    rc.desiredState.podTemplate.desiredState.manifest.containers[0].ports[0].hostPort = 70000;
    expect(causesFor('replicationControllers', rc)).toEqual([
      'id: must consist of letters, digits, "-" and ".", and start and end with a letter or digit',
      'desiredState.podTemplate.labels: must match the selector (missing name=other)',
      'desiredState.podTemplate.desiredState.manifest.containers[0].ports[0].hostPort: must be between 1 and 65535',
    ]);
    const pod = load('redis-master.json');
    pod.desiredState.manifest.containers.push({ name: 'master', image: 'busybox', ports: [{ containerPort: 1, hostPort: 6379 }] });
    expect(causesFor('pods', pod)).toEqual([
      'desiredState.manifest.containers[1].name: duplicate container name "master"',
      'desiredState.manifest.containers[1].ports[0].hostPort: duplicate host port 6379/TCP in the pod',
    ]);
    const svc = { ...load('redis-master-service.json'), port: 0, containerPort: 'not a name' };
    expect(causesFor('services', svc)).toEqual([
      'port: must be between 1 and 65535',
      'containerPort: must be letters, digits and "-" with at least one letter, starting and ending with a letter or digit',
    ]);
  });

  it('a body without id fails as id: required', () => {
    const { id: _id, ...pod } = load('redis-master.json');
    expect(causesFor('pods', pod)).toEqual(['id: required']);
  });
});
