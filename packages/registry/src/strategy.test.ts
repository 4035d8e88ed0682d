import type { KubeObject, Pod } from '@coxswain/objects';
import { strategyFor } from './strategy';

const pod = (): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'other', uid: 'client-uid', resourceVersion: '5', generation: 9, creationTimestamp: '2000-01-01T00:00:00Z', labels: {} },
  spec: { containers: [{ name: 'c', image: 'busybox' }], nodeName: 'minion-1' },
  status: { phase: 'Running', podIP: '1.2.3.4' },
});

describe('pod strategy', () => {
  const s = strategyFor('pods');

  it('on create: drops client-set status and system metadata; keeps the namespace and a nodeName (created bound)', () => {
    const p = s.prepareForCreate(pod()) as Pod;
    expect(p.status).toEqual({ phase: 'Pending' });
    expect(p.spec.nodeName).toBe('minion-1');
    expect(p.metadata).toEqual({ name: 'p', namespace: 'other' });
    expect(s.prepareForCreate({ ...pod(), metadata: { name: 'q' } }).metadata).toEqual({ name: 'q', namespace: 'default' });
  });

  it('on update: keeps stored status, nodeName and system metadata whatever the client sent', () => {
    const old = { ...pod(), metadata: { ...pod().metadata, uid: 'real-uid', generation: 2, namespace: 'default' }, spec: { ...pod().spec, nodeName: 'minion-7' } };
    const next = pod();
    next.status = { phase: 'Failed' };
    delete next.spec.nodeName;
    const p = s.prepareForUpdate(next, old) as Pod;
    expect(p.status).toEqual({ phase: 'Running', podIP: '1.2.3.4' });
    expect(p.spec.nodeName).toBe('minion-7');
    expect(p.metadata).toMatchObject({ uid: 'real-uid', generation: 2, namespace: 'default', creationTimestamp: '2000-01-01T00:00:00Z' });
  });

  it('on update: refuses a changed nodeName, naming the field', () => {
    const bound = { ...pod(), spec: { ...pod().spec, nodeName: 'minion-7' } };
    expect(() => s.prepareForUpdate(pod(), bound)).toThrow('spec.nodeName: may not be changed (bound to "minion-7")');
    const unbound = { ...pod(), spec: { containers: pod().spec.containers } };
    expect(() => s.prepareForUpdate(pod(), unbound)).toThrow('spec.nodeName: is set by binding, not by an update');
  });

  it('a status update changes only the status', () => {
    const old = pod();
    const next = { ...pod(), spec: { containers: [] }, metadata: { ...pod().metadata, labels: { x: 'y' }, resourceVersion: '5' }, status: { phase: 'Succeeded' as const } };
    const p = s.prepareForStatusUpdate(next, old) as Pod;
    expect(p.spec).toEqual(old.spec);
    expect(p.metadata.labels).toEqual({});
    expect(p.status).toEqual({ phase: 'Succeeded' });
  });
});

describe('other kinds', () => {
  it('a minion keeps the status it registers with; its namespace is dropped', () => {
    const m: KubeObject = { apiVersion: 'v1', kind: 'Minion', metadata: { name: 'm1', namespace: 'default' }, status: { kubeletEndpoint: 'http://127.0.1.1:10250' } };
    const out = strategyFor('minions').prepareForCreate(m);
    expect(out.metadata.namespace).toBeUndefined();
    expect(out.status).toEqual({ kubeletEndpoint: 'http://127.0.1.1:10250' });
  });

  it('a replication controller starts with zero replicas observed', () => {
    const rc: KubeObject = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' }, spec: {}, status: { replicas: 7 } };
    expect(strategyFor('replicationControllers').prepareForCreate({ ...rc, metadata: { ...rc.metadata, namespace: 'ns1' } })).toMatchObject({ metadata: { namespace: 'ns1' }, status: { replicas: 0 } });
  });

  it('events are created with a TTL; services without', () => {
    expect(strategyFor('events').ttlSeconds).toBe(3600);
    expect(strategyFor('services').ttlSeconds).toBeUndefined();
  });
});

describe('validation of an update (ratcheting)', () => {
  const s = strategyFor('pods');
  // Stored before the image grammar: the API refuses it today.
  const old = (): Pod => ({ ...pod(), spec: { containers: [{ name: 'c', image: 'my image' }] } });

  it('lets an object stored before a rule get its status and labels written', () => {
    const withStatus = s.prepareForStatusUpdate({ ...old(), status: { phase: 'Pending' } }, old());
    expect(() => s.validateUpdate(withStatus, old())).not.toThrow();
    expect(() => s.validate(withStatus)).toThrow('must not contain whitespace');
    const labelled = { ...old(), metadata: { ...old().metadata, labels: { a: 'b' } } };
    expect(() => s.validateUpdate(labelled, old())).not.toThrow();
  });

  it('refuses a problem the update brings in, even beside an old one', () => {
    const worse = old();
    worse.spec.containers.push({ name: 'd', image: 'x;y' });
    expect(() => s.validateUpdate(worse, old())).toThrow('spec.containers[1].image: must not contain ";"');
    const changed = { ...old(), spec: { containers: [{ name: 'c', image: 'Other Image' }] } };
    expect(() => s.validateUpdate(changed, old())).toThrow('spec.containers[0].image');
  });

  it('refuses a cross-field problem an update makes with an unchanged field (an RC selector that no longer selects its template)', () => {
    const rcs = strategyFor('replicationControllers');
    const rc = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'r', namespace: 'default' },
      spec: { replicas: 1, selector: { app: 'a' }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } } as KubeObject;
    const moved = JSON.parse(JSON.stringify(rc));
    moved.spec.selector = { app: 'b' };
    expect(() => rcs.validateUpdate(moved, rc)).toThrow('must match the selector');
  });
});
