// Unit tests of the informer's logic against an in-memory list/watch source (timing on a FakeClock).
// The behaviour against a real etcd (restarts, compaction) is in informer.etcd.test.ts.
import { Informer, ListWatch } from './informer';
import { ExpiredError, UnavailableError } from '@coxswain/objects';
import type { KubeObject, ListResult, Watch, WatchEvent } from '@coxswain/objects';
import { Backoff } from './backoff';
import { FakeClock, settle } from '@coxswain/testing';

type Obj = KubeObject<{ node?: string }>;

function obj(name: string, rv: number, node?: string, ns = 'default'): Obj {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, resourceVersion: String(rv) }, spec: { node } };
}

/** An in-memory source: a revisioned map, and watches that can be fed events or made to fail. */
class Source implements ListWatch<Obj> {
  items = new Map<string, Obj>();
  rev = 1;
  lists = 0;
  watchFrom: (string | undefined)[] = [];
  knowsLastState: (boolean | undefined)[] = [];
  listError?: Error;
  private open: Array<{ push: (e: WatchEvent<Obj> | Error) => void; onProgress?: (r: string) => void }> = [];

  async list(): Promise<ListResult<Obj>> {
    this.lists++;
    if (this.listError) throw this.listError;
    return { items: [...this.items.values()].map((o) => structuredClone(o)), resourceVersion: String(this.rev) };
  }

  watch(opts: { resourceVersion?: string; onProgress?: (r: string) => void; knowsLastState?: boolean }): Watch<Obj> {
    this.watchFrom.push(opts.resourceVersion);
    this.knowsLastState.push(opts.knowsLastState);
    const buffered: Array<WatchEvent<Obj> | Error> = [];
    let wake: (() => void) | undefined;
    let closed = false;
    const entry = {
      push: (e: WatchEvent<Obj> | Error) => {
        buffered.push(e);
        wake?.();
      },
      onProgress: opts.onProgress,
    };
    this.open.push(entry);
    const self = this;
    return {
      close() {
        closed = true;
        self.open = self.open.filter((x) => x !== entry);
        wake?.();
      },
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (buffered.length === 0 && !closed) await new Promise<void>((r) => (wake = r));
          if (closed) return;
          const e = buffered.shift()!;
          if (e instanceof Error) {
            self.open = self.open.filter((x) => x !== entry);
            throw e;
          }
          yield e;
        }
      },
    };
  }

  watching(): number {
    return this.open.length;
  }

  /** A change in the backing data; delivered to open watches unless `silent` (a change made while disconnected). */
  set(name: string, node?: string, silent = false): void {
    const type = this.items.has(name) ? 'MODIFIED' : 'ADDED';
    const o = obj(name, ++this.rev, node);
    this.items.set(name, o);
    if (!silent) for (const w of this.open) w.push({ type, object: structuredClone(o), revision: String(this.rev) });
  }

  del(name: string, silent = false): void {
    const old = this.items.get(name)!;
    this.items.delete(name);
    const o = { ...structuredClone(old), metadata: { ...old.metadata, resourceVersion: String(++this.rev) } };
    if (!silent) for (const w of this.open) w.push({ type: 'DELETED', object: o, revision: String(this.rev) });
  }

  /** A delete as etcd reports it to a watch without previous values: the object's identity only. */
  delAsIdentity(name: string): void {
    this.items.delete(name);
    const identity = { metadata: { name, namespace: 'default', resourceVersion: String(++this.rev) } } as Obj;
    for (const w of this.open) w.push({ type: 'DELETED', object: identity, revision: String(this.rev) });
  }

  fail(err: Error): void {
    for (const w of [...this.open]) w.push(err);
  }

  progress(): void {
    for (const w of this.open) w.onProgress?.(String(this.rev));
  }
}

function setup(opts: { resyncMs?: number; watchIdleTimeoutMs?: number } = {}) {
  const clock = new FakeClock();
  const src = new Source();
  const backoff = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0, clock });
  const inf = new Informer<Obj>({ listWatch: src, clock, backoff, random: () => 0, ...opts });
  const log: string[] = [];
  inf.addEventHandler({
    onAdd: (o) => log.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}`),
    onUpdate: (a, b) => log.push(`update ${a.metadata.name}@${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
    onDelete: (o) => log.push(`delete ${o.metadata.name}`),
  });
  return { clock, src, inf, log };
}

function names(inf: Informer<Obj>): string[] {
  return inf.list().map((o) => o.metadata.name).sort();
}

describe('Informer (in-memory source)', () => {
  it('lists, syncs, then applies watch events in order from the list revision', async () => {
    const { src, inf, log } = setup();
    src.set('a');
    src.set('b');
    inf.start();
    expect(await inf.waitForSync()).toBe(true);
    expect(inf.hasSynced()).toBe(true);
    await settle();
    expect(src.watchFrom).toEqual(['3']);
    src.set('c');
    src.set('a', 'n1');
    src.del('b');
    await settle();
    expect(names(inf)).toEqual(['a', 'c']);
    expect(inf.getByName('default', 'a')!.spec!.node).toBe('n1');
    expect(inf.get('default/c')).toBeDefined();
    expect(log).toEqual(['add a@2', 'add b@3', 'add c@4', 'update a@2->5', 'delete b']);
    expect(inf.revision).toBe('6');
    await inf.stop();
  });

  it('watches saying it knows the last state; a delete that names only the object is handed on as its last copy', async () => {
    const { src, inf } = setup();
    src.set('a', 'n1');
    inf.start();
    await inf.waitForSync();
    await settle();
    expect(src.knowsLastState).toEqual([true]);
    const deleted: Obj[] = [];
    inf.onDelete((o) => deleted.push(o));
    src.delAsIdentity('a');
    await settle();
    expect(names(inf)).toEqual([]);
    expect(deleted.map((o) => [o.metadata.name, o.spec?.node])).toEqual([['a', 'n1']]);
    await inf.stop();
  });

  it('a handler that throws (or rejects) does not stop the others or the loop', async () => {
    const { src, inf, log } = setup();
    inf.onAdd(() => {
      throw new Error('boom');
    });
    inf.addEventHandler({ onAdd: async () => Promise.reject(new Error('async boom')) });
    const seen: string[] = [];
    inf.onAdd((o) => seen.push(o.metadata.name));
    inf.start();
    await inf.waitForSync();
    await settle();
    src.set('x');
    src.set('y');
    await settle();
    expect(seen).toEqual(['x', 'y']);
    expect(log).toEqual(['add x@2', 'add y@3']);
    expect(inf.stats().handlerErrors).toBe(4);
    await inf.stop();
  });

  it('a handler added late gets onAdd for what is already cached', async () => {
    const { src, inf } = setup();
    src.set('a');
    inf.start();
    await inf.waitForSync();
    const seen: string[] = [];
    inf.onAdd((o) => seen.push(o.metadata.name));
    expect(seen).toEqual(['a']);
    await inf.stop();
  });

  it('hands out frozen objects: mutating a cached object throws', async () => {
    const { src, inf } = setup();
    src.set('a');
    inf.start();
    await inf.waitForSync();
    const a = inf.getByName('default', 'a')!;
    expect(() => {
      (a.metadata as { name: string }).name = 'zzz';
    }).toThrow(TypeError);
    expect(() => {
      a.spec!.node = 'x';
    }).toThrow(TypeError);
    await inf.stop();
  });

  it('on ExpiredError relists and delivers the differences, so the cache equals the source', async () => {
    const { src, inf, log } = setup();
    src.set('keep');
    src.set('change');
    src.set('gone');
    inf.start();
    await inf.waitForSync();
    await settle();
    log.length = 0;
    // Changes the informer never hears about (it was disconnected), then the watch expires.
    src.set('change', 'n2', true);
    src.del('gone', true);
    src.set('new', undefined, true);
    src.fail(new ExpiredError('4', '8'));
    await settle();
    expect(src.lists).toBe(2);
    expect(inf.stats().expired).toBe(1);
    expect(names(inf)).toEqual(['change', 'keep', 'new']);
    expect(log.sort()).toEqual(['add new@7', 'delete gone', 'update change@3->5'].sort());
    expect(src.watchFrom.at(-1)).toBe(String(src.rev));
    await inf.stop();
  });

  it('on other errors backs off and resumes the watch from the last revision, without relisting', async () => {
    const { clock, src, inf } = setup();
    src.set('a');
    inf.start();
    await inf.waitForSync();
    await settle();
    src.set('b');
    await settle();
    src.fail(new UnavailableError('etcd down'));
    await settle();
    expect(src.watching()).toBe(0);
    await clock.advance(99);
    expect(src.watching()).toBe(0); // still backing off
    await clock.advance(1);
    expect(src.watching()).toBe(1);
    expect(src.watchFrom).toEqual(['2', '3']);
    expect(src.lists).toBe(1);
    // Failures in a row back off longer: 100, then 200.
    src.fail(new UnavailableError('again'));
    await settle();
    await clock.advance(199);
    expect(src.watching()).toBe(0);
    await clock.advance(1);
    expect(src.watching()).toBe(1);
    expect(inf.stats().errors).toBe(2);
    await inf.stop();
  });

  it('retries a failing first list with backoff and syncs when it succeeds', async () => {
    const { clock, src, inf } = setup();
    src.set('a');
    src.listError = new UnavailableError('down');
    inf.start();
    await settle();
    expect(inf.hasSynced()).toBe(false);
    src.listError = undefined;
    await clock.advance(100);
    expect(await inf.waitForSync()).toBe(true);
    expect(names(inf)).toEqual(['a']);
    await inf.stop();
  });

  it('restarts a watch that is silent past the idle timeout, and progress notices keep it alive', async () => {
    const { clock, src, inf } = setup({ watchIdleTimeoutMs: 1000 });
    inf.start();
    await inf.waitForSync();
    await settle();
    expect(src.watchFrom).toHaveLength(1);
    await clock.advance(600);
    src.progress();
    await clock.advance(600);
    expect(src.watchFrom).toHaveLength(1); // progress at 600 reset the timer
    await clock.advance(400);
    expect(src.watchFrom).toHaveLength(2); // silent 1000 ms: restarted
    expect(src.lists).toBe(1);
    await inf.stop();
  });

  it('resync re-delivers onUpdate for every cached object', async () => {
    const { clock, src, inf, log } = setup({ resyncMs: 1000 });
    src.set('a');
    src.set('b');
    inf.start();
    await inf.waitForSync();
    log.length = 0;
    await clock.advance(1000);
    expect(log.sort()).toEqual(['update a@2->2', 'update b@3->3']);
    await inf.stop();
  });

  it('keeps named indexes right through adds, moves and deletes', async () => {
    const { src, inf } = setup();
    src.set('p1', 'n1');
    src.set('p2', 'n1');
    inf.addIndex('byNode', (o) => (o.spec?.node ? [o.spec.node] : []));
    inf.start();
    await inf.waitForSync();
    await settle();
    const onNode = (n: string) => inf.byIndex('byNode', n).map((o) => o.metadata.name).sort();
    expect(onNode('n1')).toEqual(['p1', 'p2']);
    src.set('p2', 'n2');
    src.set('p3', 'n2');
    src.set('p4');
    await settle();
    expect(onNode('n1')).toEqual(['p1']);
    expect(onNode('n2')).toEqual(['p2', 'p3']);
    src.del('p1');
    await settle();
    expect(onNode('n1')).toEqual([]);
    expect(inf.indexValues('byNode').sort()).toEqual(['n2']);
    // An index added later covers what is already cached.
    inf.addIndex('byName', (o) => [o.metadata.name]);
    expect(inf.indexKeys('byName', 'p4')).toEqual(['default/p4']);
    await inf.stop();
  });

  it('builds an index only when it is first read, from what is cached then', async () => {
    const { src, inf } = setup();
    let calls = 0;
    inf.addIndex('byNode', (o) => {
      calls++;
      return o.spec?.node ? [o.spec.node] : [];
    });
    src.set('p1', 'n1');
    inf.start();
    await inf.waitForSync();
    await settle();
    src.set('p1', 'n2');
    src.set('p2', 'n1');
    src.del('p2');
    await settle();
    // Four events, no reader: the index function never ran.
    expect(calls).toBe(0);
    expect(inf.indexKeys('byNode', 'n2')).toEqual(['default/p1']);
    expect(inf.indexKeys('byNode', 'n1')).toEqual([]);
    // Read once, it follows every later change.
    src.set('p3', 'n1');
    await settle();
    expect(inf.indexKeys('byNode', 'n1')).toEqual(['default/p3']);
    expect(() => inf.indexKeys('missing', 'x')).toThrow('no index named "missing"');
    await inf.stop();
  });

  it('stop() ends the loops and an unsynced waitForSync resolves false', async () => {
    const { src, inf } = setup();
    src.listError = new UnavailableError('down');
    inf.start();
    const sync = inf.waitForSync();
    await inf.stop();
    await expect(sync).resolves.toBe(false);
  });
});
