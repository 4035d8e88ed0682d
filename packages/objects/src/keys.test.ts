import { BadRequestError } from './errors';
import { boundPodKey, boundPodsPrefix, MINION_LEASE_PREFIX, minionLeaseKey, objectKey, resourcePrefix } from './keys';

describe('keys', () => {
  it('lays namespaced and cluster-scoped objects out under /registry', () => {
    expect(objectKey('pods', 'web', 'redis-1')).toBe('/registry/pods/web/redis-1');
    expect(objectKey('pods', undefined, 'redis-1')).toBe('/registry/pods/default/redis-1');
    expect(objectKey('minions', 'ignored', 'm1')).toBe('/registry/minions/m1');
    expect(resourcePrefix('pods')).toBe('/registry/pods/');
    expect(resourcePrefix('pods', 'web')).toBe('/registry/pods/web/');
    expect(resourcePrefix('minions', 'web')).toBe('/registry/minions/');
  });

  it('keeps bound pods out of the minions range', () => {
    expect(boundPodKey('m1', 'default', 'p')).toBe('/registry/boundpods/m1/default/p');
    expect(boundPodsPrefix('m1').startsWith(resourcePrefix('minions'))).toBe(false);
    // m1's prefix must not cover m10's keys
    expect(boundPodKey('m10', 'default', 'p').startsWith(boundPodsPrefix('m1'))).toBe(false);
  });

  it('keeps heartbeat leases under one prefix, outside the minions range', () => {
    expect(minionLeaseKey('m1')).toBe('/registry/leases/minions/m1');
    expect(minionLeaseKey('m1').startsWith(MINION_LEASE_PREFIX)).toBe(true);
    expect(MINION_LEASE_PREFIX.startsWith(resourcePrefix('minions'))).toBe(false);
  });

  it('rejects names that would break the layout', () => {
    expect(() => objectKey('pods', 'default', 'a/b')).toThrow(BadRequestError);
    expect(() => objectKey('pods', 'default', '')).toThrow(BadRequestError);
    expect(() => boundPodsPrefix('')).toThrow(BadRequestError);
    expect(() => minionLeaseKey('a/b')).toThrow(BadRequestError);
  });

});
