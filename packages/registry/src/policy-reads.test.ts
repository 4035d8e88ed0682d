// Admission reads a namespace's quotas and limit ranges from the watch cache (policy-reads.ts): a
// policy written through the registry binds its next create even before the cache has it, and a
// create in a namespace whose policies the cache already has asks the backend nothing to admit it.
import { ForbiddenError, type KubeObject, type LimitRange, type Pod, type ResourceQuota, type StorageWatchOptions, type Watch } from '@coxswain/objects';
import { CachedStorage, MemoryStorage } from '@coxswain/store';
import { Registry, REGISTRY_MIRRORS } from './registry';

/** A backend whose watch events can be held back from the cache (a feed running late). */
function lateFeed(backend: MemoryStorage): { hold(): void; release(): void } {
  let gate: Promise<void> = Promise.resolve();
  let open = () => undefined as void;
  const watch = backend.watch.bind(backend);
  backend.watch = <T extends KubeObject>(prefix: string, opts?: StorageWatchOptions): Watch<T> => {
    const w = watch<T>(prefix, opts);
    return {
      close: () => w.close(),
      async *[Symbol.asyncIterator]() {
        for await (const ev of w) {
          await gate;
          yield ev;
        }
      },
    } as Watch<T>;
  };
  return {
    hold: () => (gate = new Promise<void>((resolve) => (open = resolve))),
    release: () => open(),
  };
}

const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'team' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
const quota = (pods: string): ResourceQuota => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute', namespace: 'team' }, spec: { hard: { pods } } });

let backend: MemoryStorage;
let cache: CachedStorage;
let registry: Registry;
beforeEach(async () => {
  backend = new MemoryStorage({ mirrors: REGISTRY_MIRRORS });
  cache = new CachedStorage(backend);
  await cache.ready;
  registry = new Registry(cache);
});
afterEach(() => cache.close());

it('a quota written through the registry binds the next create, though the cache has not seen it yet', async () => {
  await registry.create(pod('before'));
  const feed = lateFeed(backend);
  feed.hold();
  await registry.create(quota('1'));
  const create = registry.create(pod('after'));
  feed.release();
  await expect(create).rejects.toThrow(ForbiddenError);
  await expect(create).rejects.toThrow('exceeded quota: compute, requested: pods=1, used: pods=1, limited: pods=1');
  expect((await registry.list('pods', { namespace: 'team' })).items.map((p) => p.metadata.name)).toEqual(['before']);
});

it('a limit range written through the registry defaults the next pod, though the cache has not seen it yet; once deleted it no longer does', async () => {
  const feed = lateFeed(backend);
  feed.hold();
  await registry.create<LimitRange>({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'sizes', namespace: 'team' }, spec: { limits: [{ type: 'Container', default: { cpu: '250m' } }] } });
  const defaulted = registry.create(pod('defaulted'));
  feed.release();
  expect((await defaulted).spec.containers[0]!.resources).toEqual({ limits: { cpu: '250m' }, requests: { cpu: '250m' } });

  feed.hold();
  await registry.delete('limitranges', 'team', 'sizes');
  const plain = registry.create(pod('plain'));
  feed.release();
  expect((await plain).spec.containers[0]!.resources).toBeUndefined();
});

it('admits creates in a namespace with policies the cache has, asking the backend for no revision and no list', async () => {
  await registry.create(quota('10'));
  const asked: string[] = [];
  const currentRevision = backend.currentRevision.bind(backend);
  backend.currentRevision = () => (asked.push('revision'), currentRevision());
  const listPages = backend.listPages.bind(backend);
  backend.listPages = ((prefix: string, opts?: object) => (asked.push(`list ${prefix}`), listPages(prefix, opts))) as typeof backend.listPages;
  for (let i = 0; i < 3; i++) await registry.create(pod(`p${i}`));
  await registry.createMany([pod('m0'), pod('m1')]);
  await registry.delete('pods', 'team', 'p0');
  expect(asked).toEqual([]);
  expect((await registry.get<ResourceQuota>('resourcequotas', 'team', 'compute')).status?.used).toEqual({ pods: '4' });
});
