// One rule, one place: a client writing through the API and a reconciler or kubelet writing through
// the registry get the same answer, because the API applies no rule of its own (registry strategy).
import type { Pod } from '@coxswain/objects';
import { ApiClient, ApiError } from '@coxswain/client';
import { startApiFixture, type ApiFixture } from './testing/api-fixture';

jest.setTimeout(30_000);

let f: ApiFixture;
/** A client speaking v1, whose field names are the internal ones. */
let v1: ApiClient;
beforeAll(async () => {
  f = await startApiFixture();
  v1 = new ApiClient({ server: f.url, version: 'v1' });
});
afterAll(async () => {
  await f.stop();
});

const pod = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'web', image: 'busybox' }] },
});

/** The error a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the write to be refused');
}

describe('the same answer through the API and through the registry', () => {
  it('a nodeName change is refused both ways, with the same field and message', async () => {
    const created = await f.store.create(pod('moved'));
    await f.store.bind('default', 'moved', 'minion-1', created.metadata.resourceVersion!);
    const bound = await f.store.get<Pod>('pods', 'default', 'moved');
    const moved = { ...bound, spec: { ...bound.spec, nodeName: 'minion-2' } };

    const viaRegistry = await failure(f.store.update(moved));
    const viaApi = await failure(v1.update('pods', moved, { namespace: 'default' }));

    const expected = 'spec.nodeName: may not be changed (bound to "minion-1")';
    expect(viaRegistry.message).toContain(expected);
    expect(viaApi).toBeInstanceOf(ApiError);
    expect((viaApi as ApiError).code).toBe(422);
    expect(viaApi.message).toContain(expected);
    expect((viaApi as ApiError).causes).toEqual([{ field: 'spec.nodeName', message: 'may not be changed (bound to "minion-1")', reason: 'FieldValueInvalid' }]);
    expect((await f.store.get<Pod>('pods', 'default', 'moved')).spec.nodeName).toBe('minion-1');
  });

  it('binding a bound pod is refused both ways, with the same message', async () => {
    await f.store.create({ apiVersion: 'v1', kind: 'Minion', metadata: { name: 'minion-2' } });
    const created = await f.store.create(pod('twice'));
    await f.store.bind('default', 'twice', 'minion-1', created.metadata.resourceVersion!);
    const bound = await f.store.get<Pod>('pods', 'default', 'twice');

    const viaRegistry = await failure(f.store.bind('default', 'twice', 'minion-2', bound.metadata.resourceVersion!, bound));
    const viaApi = await failure(v1.create('bindings', { metadata: { name: 'twice' }, target: { name: 'minion-2' } }, { namespace: 'default' }));

    expect(viaRegistry.message).toContain('pod is already bound to minion "minion-1"');
    expect((viaApi as ApiError).code).toBe(409);
    expect(viaApi.message).toBe(viaRegistry.message);
  });

  it('a status sent with a spec update is ignored both ways: the stored status stays', async () => {
    const created = await f.store.create(pod('status'));
    expect(created.status).toEqual({ phase: 'Pending' });
    const viaRegistry = await f.store.update({ ...created, status: { phase: 'Running' } });
    expect(viaRegistry.status).toEqual({ phase: 'Pending' });
    const viaApi = await v1.update<Pod>('pods', { ...viaRegistry, status: { phase: 'Failed' } }, { namespace: 'default' });
    expect(viaApi.status).toEqual({ phase: 'Pending' });
  });
});
