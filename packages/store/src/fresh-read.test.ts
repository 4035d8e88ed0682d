// FreshRead: callers share a read only if it started after they asked, so each sees every write that
// completed before it asked; at most one read is in flight and one waits.
import { FreshRead } from './fresh-read';

/** A read whose calls are answered by hand, in order. */
function manualRead() {
  const calls: Array<{ resolve: (v: number) => void; reject: (e: Error) => void }> = [];
  const read = () => new Promise<number>((resolve, reject) => calls.push({ resolve, reject }));
  return { calls, read };
}

const settle = () => new Promise((r) => setImmediate(r));

it('a caller that arrives while a read is in flight gets the next read, shared with the others who arrived meanwhile', async () => {
  const { calls, read } = manualRead();
  const fresh = new FreshRead(read);
  const first = fresh.get();
  const second = fresh.get();
  const third = fresh.get();
  expect(calls).toHaveLength(1); // the next read starts only when the first ends
  calls[0]!.resolve(10);
  expect(await first).toBe(10);
  await settle();
  expect(calls).toHaveLength(2);
  const fourth = fresh.get(); // arrives while the second read is in flight: not served by it
  calls[1]!.resolve(11);
  expect(await second).toBe(11);
  expect(await third).toBe(11);
  await settle();
  expect(calls).toHaveLength(3);
  calls[2]!.resolve(12);
  expect(await fourth).toBe(12);
});

it('a failed read fails its own callers only; those waiting get a read of their own', async () => {
  const { calls, read } = manualRead();
  const fresh = new FreshRead(read);
  const first = fresh.get();
  const waiting = fresh.get();
  calls[0]!.reject(new Error('deadline exceeded'));
  await expect(first).rejects.toThrow('deadline exceeded');
  await settle();
  calls[1]!.resolve(20);
  expect(await waiting).toBe(20);
});

it('with nothing in flight a caller starts its own read at once', async () => {
  const { calls, read } = manualRead();
  const fresh = new FreshRead(read);
  const a = fresh.get();
  calls[0]!.resolve(1);
  expect(await a).toBe(1);
  await settle();
  const b = fresh.get();
  expect(calls).toHaveLength(2);
  calls[1]!.resolve(2);
  expect(await b).toBe(2);
});
