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

  it('on create: drops client-set status, nodeName and system metadata; sets the namespace', () => {
    const p = s.prepareForCreate(pod(), 'default') as Pod;
    expect(p.status).toEqual({ phase: 'Pending' });
    expect(p.spec.nodeName).toBeUndefined();
    expect(p.metadata).toEqual({ name: 'p', namespace: 'default' });
  });

  it('on update: keeps stored status, nodeName and system metadata whatever the client sent', () => {
    const old = { ...pod(), metadata: { ...pod().metadata, uid: 'real-uid', generation: 2, namespace: 'default' }, spec: { ...pod().spec, nodeName: 'minion-7' } };
    const next = pod();
    next.status = { phase: 'Failed' };
    next.spec.nodeName = 'elsewhere';
    const p = s.prepareForUpdate(next, old) as Pod;
    expect(p.status).toEqual({ phase: 'Running', podIP: '1.2.3.4' });
    expect(p.spec.nodeName).toBe('minion-7');
    expect(p.metadata).toMatchObject({ uid: 'real-uid', generation: 2, namespace: 'default', creationTimestamp: '2000-01-01T00:00:00Z' });
    const unbound = { ...old, spec: { containers: old.spec.containers } };
    expect((s.prepareForUpdate(pod(), unbound) as Pod).spec.nodeName).toBeUndefined();
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
    const out = strategyFor('minions').prepareForCreate(m, 'default');
    expect(out.metadata.namespace).toBeUndefined();
    expect(out.status).toEqual({ kubeletEndpoint: 'http://127.0.1.1:10250' });
  });

  it('a replication controller starts with zero replicas observed', () => {
    const rc: KubeObject = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' }, spec: {}, status: { replicas: 7 } };
    expect(strategyFor('replicationControllers').prepareForCreate(rc, 'ns1')).toMatchObject({ metadata: { namespace: 'ns1' }, status: { replicas: 0 } });
  });

  it('events are created with a TTL; services without', () => {
    const e: KubeObject = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' } };
    expect(strategyFor('events').createOptions(e)).toEqual({ ttlSeconds: 3600 });
    expect(strategyFor('services').createOptions(e)).toBeUndefined();
  });
});
