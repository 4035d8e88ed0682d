import { metaNamespaceKey, splitMetaNamespaceKey } from './meta-namespace-key';

describe('metaNamespaceKey', () => {
  it('is namespace/name for a namespaced object and name for a cluster-scoped one', () => {
    expect(metaNamespaceKey({ metadata: { namespace: 'ns1', name: 'a' } })).toBe('ns1/a');
    expect(metaNamespaceKey({ metadata: { name: 'm1' } })).toBe('m1');
  });

  it('gives the same key from the parts as from the object, and never defaults the namespace', () => {
    expect(metaNamespaceKey('ns1', 'a')).toBe('ns1/a');
    expect(metaNamespaceKey(undefined, 'm1')).toBe('m1');
    expect(metaNamespaceKey('', 'm1')).toBe('m1');
  });

  it('splits a key back into its parts', () => {
    expect(splitMetaNamespaceKey('ns1/a')).toEqual({ namespace: 'ns1', name: 'a' });
    expect(splitMetaNamespaceKey('m1')).toEqual({ namespace: '', name: 'm1' });
    for (const [namespace, name] of [['web', 'redis-1'], ['', 'm1']]) {
      expect(splitMetaNamespaceKey(metaNamespaceKey(namespace, name))).toEqual({ namespace, name });
    }
  });
});
