import { keyIdentity, prefixRangeEnd } from './key-range';

describe('key ranges', () => {
  it('computes the end of a prefix range', () => {
    expect(prefixRangeEnd('/registry/pods/').toString()).toBe('/registry/pods0');
    expect(prefixRangeEnd(Buffer.from([0x61, 0xff]))).toEqual(Buffer.from([0x62]));
  });

  it('names an object by its key: the resource after the root, the name last, a namespace before it', () => {
    expect(keyIdentity('/registry/pods/default/web')).toEqual({ resource: 'pods', namespace: 'default', name: 'web' });
    expect(keyIdentity('/registry/minions/m1')).toEqual({ resource: 'minions', name: 'm1' });
    expect(keyIdentity('/registry/boundpods/m1/default/web')).toEqual({ resource: 'boundpods', namespace: 'default', name: 'web' });
  });
});
