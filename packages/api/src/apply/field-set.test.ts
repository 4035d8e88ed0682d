import { describePath, difference, fieldSetOf, fromFieldsV1, intersection, toFieldsV1 } from './field-set';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'web' }, resourceVersion: '5' },
  spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], args: ['-a', '-b'] }] },
  status: { phase: 'Running' },
};

describe('field sets (server-side apply ownership)', () => {
  it('lists leaves, labels and keyed-list elements by their merge key, and leaves out status and server metadata', () => {
    const paths = [...fieldSetOf('Pod', pod)].map(describePath).sort();
    expect(paths).toEqual([
      '.metadata.labels.app',
      '.spec.containers[name="web"]',
      '.spec.containers[name="web"].args',
      '.spec.containers[name="web"].image',
      '.spec.containers[name="web"].name',
      '.spec.containers[name="web"].ports[containerPort=80]',
      '.spec.containers[name="web"].ports[containerPort=80].containerPort',
    ]);
  });

  it('round-trips through the FieldsV1 wire form', () => {
    const set = fieldSetOf('Pod', pod);
    const wire = toFieldsV1(set);
    expect(wire).toMatchObject({ 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } } } });
    expect(fromFieldsV1(wire)).toEqual(set);
  });

  it('difference and intersection find removed and shared fields', () => {
    const before = fieldSetOf('Pod', pod);
    const after = fieldSetOf('Pod', { ...pod, spec: { containers: [{ name: 'web', image: 'nginx' }] } });
    expect([...difference(before, after)].map(describePath).sort()).toEqual([
      '.spec.containers[name="web"].args',
      '.spec.containers[name="web"].ports[containerPort=80]',
      '.spec.containers[name="web"].ports[containerPort=80].containerPort',
    ]);
    expect(intersection(before, after).size).toBe(after.size);
  });
});
