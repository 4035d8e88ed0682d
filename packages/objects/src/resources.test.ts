import { apiPathPrefix, groupVersion, preferredVersion, resolveResource, resourceInfo, resourcePathPrefix, servedIn } from './resources';
import type { ResourceInfo } from './resources';

const deploymentLike: ResourceInfo = {
  kind: 'Widget',
  resource: 'pods',
  namespaced: true,
  hasStatus: true,
  aliases: [],
  shortNames: [],
  group: 'apps',
  versions: ['v1'],
};

describe('group versions', () => {
  it('names the core group by its version alone and a named group as group/version', () => {
    expect(groupVersion('', 'v1')).toBe('v1');
    expect(groupVersion('apps', 'v1')).toBe('apps/v1');
    expect(apiPathPrefix('', 'v1beta1')).toBe('/api/v1beta1');
    expect(apiPathPrefix('apps', 'v1')).toBe('/apis/apps/v1');
  });

  it('serves the seed kinds in v1beta1 and v1 of the core group only', () => {
    const pods = resourceInfo('pods')!;
    expect(servedIn(pods, 'v1beta1')).toBe(true);
    expect(servedIn(pods, 'v1')).toBe(true);
    expect(servedIn(pods, 'apps/v1')).toBe(false);
    expect(preferredVersion(pods)).toBe('v1');
  });

  it('serves a named group kind only under its group', () => {
    expect(servedIn(deploymentLike, 'apps/v1')).toBe(true);
    expect(servedIn(deploymentLike, 'v1')).toBe(false);
  });

  it('gives a client the prefix of its own version for core kinds, whatever alias it used', () => {
    expect(resourcePathPrefix('pods', 'v1beta1')).toBe('/api/v1beta1');
    expect(resourcePathPrefix('replicationControllers', 'v1')).toBe('/api/v1');
    expect(resolveResource('rc')!.group).toBe('');
  });

  it('sends a v1beta1 client to /api/v1 for a core kind v1beta1 never had', () => {
    expect(resourcePathPrefix('resourcequotas', 'v1beta1')).toBe('/api/v1');
    expect(resourcePathPrefix('quota', 'v1beta1')).toBe('/api/v1');
    expect(resourcePathPrefix('limitranges', 'v1')).toBe('/api/v1');
  });
});
