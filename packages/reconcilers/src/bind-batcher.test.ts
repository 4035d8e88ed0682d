import { ConflictError, type Binding, type Pod } from '@coxswain/objects';
import { BindBatcher } from './bind-batcher';

const binding = (name: string): Binding => ({
  namespace: 'default',
  podName: name,
  minion: 'm1',
  pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', resourceVersion: '5' }, spec: { containers: [] } } as Pod,
});

/** A bindMany whose calls complete only when the test says so. */
function controlled() {
  const calls: { names: string[]; finish: (results?: (Error | undefined)[]) => void }[] = [];
  const bindMany = (bs: Binding[]) =>
    new Promise<(Error | undefined)[]>((resolve) => calls.push({ names: bs.map((b) => b.podName), finish: (r) => resolve(r ?? bs.map(() => undefined)) }));
  return { calls, bindMany };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('BindBatcher', () => {
  it('sends a lone binding at once, and batches the ones that arrive while transactions are in flight', async () => {
    const c = controlled();
    const b = new BindBatcher({ bindMany: c.bindMany, maxBatch: 3, maxInFlight: 1 });
    const first = b.bind(binding('p0'));
    expect(c.calls.map((x) => x.names)).toEqual([['p0']]);
    const rest = ['p1', 'p2', 'p3', 'p4'].map((n) => b.bind(binding(n)));
    expect(c.calls).toHaveLength(1); // waiting for the one in flight
    c.calls[0].finish();
    await first;
    await tick();
    expect(c.calls.map((x) => x.names)).toEqual([['p0'], ['p1', 'p2', 'p3']]);
    c.calls[1].finish();
    await tick();
    expect(c.calls.map((x) => x.names)[2]).toEqual(['p4']);
    c.calls[2].finish();
    await Promise.all(rest);
    expect(b.stats).toEqual({ batches: 3, bindings: 5 });
  });

  it('rejects exactly the bindings the store failed, and all of a batch whose call failed', async () => {
    const c = controlled();
    const b = new BindBatcher({ bindMany: c.bindMany, maxBatch: 10, maxInFlight: 1 });
    const p0 = b.bind(binding('p0'));
    const p1 = b.bind(binding('p1'));
    const p2 = b.bind(binding('p2'));
    c.calls[0].finish();
    await p0;
    await tick();
    const conflict = new ConflictError('pods', 'p2', 'changed');
    c.calls[1].finish([undefined, conflict]);
    await expect(p1).resolves.toBeUndefined();
    await expect(p2).rejects.toBe(conflict);

    const failing = new BindBatcher({ bindMany: () => Promise.reject(new Error('etcd is away')), maxInFlight: 1 });
    await expect(Promise.all([failing.bind(binding('a')), failing.bind(binding('b'))])).rejects.toThrow('etcd is away');
  });
});
