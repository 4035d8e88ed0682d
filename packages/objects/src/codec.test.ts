import { decodeObject, encodeObject } from './codec';
import type { Pod } from './types';

describe('codec', () => {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', resourceVersion: '17', labels: { a: 'b' } },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  };

  it('does not store resourceVersion and does not touch the caller object', () => {
    const stored = JSON.parse(encodeObject(pod).toString());
    expect(stored.metadata.resourceVersion).toBeUndefined();
    expect(stored.metadata.labels).toEqual({ a: 'b' });
    expect(pod.metadata.resourceVersion).toBe('17');
  });

  it('sets resourceVersion from the mod revision as a decimal string, beyond 2^53 too', () => {
    const big = '9007199254740993';
    const back = decodeObject<Pod>(encodeObject(pod), big);
    expect(back.metadata.resourceVersion).toBe(big);
    expect(back.spec).toEqual(pod.spec);
  });
});
