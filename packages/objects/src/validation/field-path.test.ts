import { joinPath, valueAtPath } from './field-path';

describe('valueAtPath', () => {
  const obj = { spec: { containers: [{ image: 'a' }, { image: 'b', ports: [{ hostPort: 0 }] }] }, metadata: { labels: { 'example.com/app': 'x', plain: 'y' } } };

  it.each([
    ['spec.containers[0].image', 'a'],
    ['spec.containers[1].ports[0].hostPort', 0],
    [joinPath('metadata.labels', 'example.com/app'), 'x'],
    ['metadata.labels.plain', 'y'],
    ['', obj],
  ])('%s -> %j', (path, value) => expect(valueAtPath(obj, path)).toEqual(value));

  it.each(['spec.containers[5].image', 'spec.nothing.here', 'spec.containers[0].image.length', 'spec..x'])('%s is undefined', (path) => {
    expect(valueAtPath(obj, path)).toBeUndefined();
  });
});
