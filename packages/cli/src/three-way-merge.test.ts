import { threeWayMerge } from './three-way-merge';

describe('threeWayMerge', () => {
  const live = {
    metadata: { name: 'web', resourceVersion: '42', uid: 'u1', labels: { app: 'web', tier: 'fe' } },
    spec: {
      replicas: 3,
      template: {
        spec: {
          containers: [{ name: 'c', image: 'nginx:1', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80, protocol: 'TCP' }] }],
        },
      },
    },
    status: { replicas: 3 },
  };
  const file = {
    metadata: { name: 'web', labels: { app: 'web', tier: 'fe' } },
    spec: { replicas: 3, template: { spec: { containers: [{ name: 'c', image: 'nginx:1', ports: [{ containerPort: 80 }] }] } } },
  };

  it('changes nothing when the file is what was applied last and live only adds defaults', () => {
    expect(threeWayMerge(file, file, live)).toEqual(live);
  });

  it('applies a changed field and keeps server-set fields inside named list elements', () => {
    const next = JSON.parse(JSON.stringify(file));
    next.spec.template.spec.containers[0].image = 'nginx:2';
    const merged = threeWayMerge(file, next, live) as typeof live;
    expect(merged.spec.template.spec.containers).toEqual([
      { name: 'c', image: 'nginx:2', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80, protocol: 'TCP' }] },
    ]);
    expect(merged.status).toEqual({ replicas: 3 });
    expect(merged.metadata.resourceVersion).toBe('42');
  });

  it('removes a field that the last applied file set and the new file omits, but keeps fields others set', () => {
    const next = JSON.parse(JSON.stringify(file));
    delete next.metadata.labels.tier;
    const withOther = { ...live, metadata: { ...live.metadata, labels: { ...live.metadata.labels, owner: 'ops' } } };
    const merged = threeWayMerge(file, next, withOther) as typeof live;
    expect(merged.metadata.labels).toEqual({ app: 'web', owner: 'ops' });
  });

  it('removes a list element that was applied before and is gone now; keeps one another writer added', () => {
    const before = { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } };
    const now = { spec: { containers: [{ name: 'a', image: 'x' }] } };
    const current = { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }, { name: 'sidecar', image: 'z' }] } };
    expect(threeWayMerge(before, now, current)).toEqual({ spec: { containers: [{ name: 'a', image: 'x' }, { name: 'sidecar', image: 'z' }] } });
  });

  it('re-asserts a field that someone else changed since the last apply', () => {
    const scaled = { ...live, spec: { ...live.spec, replicas: 7 } };
    expect((threeWayMerge(file, file, scaled) as typeof live).spec.replicas).toBe(3);
  });

  it('without a last applied configuration removes nothing', () => {
    const merged = threeWayMerge(undefined, { metadata: { name: 'web' }, spec: { replicas: 1 } }, live) as typeof live;
    expect(merged.metadata.labels).toEqual(live.metadata.labels);
    expect(merged.spec.replicas).toBe(1);
  });

  it('replaces lists of scalars and treats null as removal', () => {
    const merged = threeWayMerge({ a: ['x', 'y'], b: 1 }, { a: ['y'], b: null }, { a: ['x', 'y'], b: 1, c: 2 });
    expect(merged).toEqual({ a: ['y'], c: 2 });
  });

  it('does not modify its arguments', () => {
    const snapshot = JSON.stringify(live);
    threeWayMerge(file, { ...file, spec: { replicas: 1 } }, live);
    expect(JSON.stringify(live)).toBe(snapshot);
  });
});
