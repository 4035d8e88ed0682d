import { GroupCommit } from './group-commit';

const tick = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it("hands each request its own answer, rejects the ones answered with an Error, and counts batches", async () => {
    const calls: number[][] = [];
    const g = new GroupCommit<number, string>({
      commit: async (ns) => {
        calls.push(ns);
        return ns.map((n) => (n % 3 === 0 ? new Error(`no ${n}`) : `ok ${n}`));
      },
      maxBatch: 4,
      maxInFlight: 1,
    });
    const results = await Promise.allSettled([1, 2, 3, 4, 5, 6].map((n) => g.submit(n)));
    expect(calls).toEqual([[1], [2, 3, 4, 5], [6]]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['ok 1', 'ok 2', 'no 3', 'ok 4', 'ok 5', 'no 6']);
    expect(g.stats).toEqual({ batches: 3, requests: 6 });
  });

  it('rejects a batch whose commit throws synchronously, and keeps serving later requests', async () => {
    let fail = true;
    const g = new GroupCommit<number, number>({
      commit: (ns) => {
        if (fail) throw new Error('broken');
        return Promise.resolve(ns.map((n) => n * 2));
      },
    });
    await expect(g.submit(1)).rejects.toThrow('broken');
    fail = false;
    await tick();
    await expect(g.submit(2)).resolves.toBe(4);
  });
});

describe('GroupCommit.submitAll', () => {
  it('sends requests submitted together as one batch when idle, split at maxBatch', async () => {
    const calls: number[][] = [];
    const g = new GroupCommit<number, number>({ commit: async (ns) => (calls.push(ns), ns), maxBatch: 3 });
    expect(await Promise.all(g.submitAll([1, 2, 3, 4, 5]))).toEqual([1, 2, 3, 4, 5]);
    expect(calls).toEqual([[1, 2, 3], [4, 5]]);
  });
});
