// Which LISTs the API server answers from its watch cache, and which writes start from its copy instead
// of a read, seen from outside: the etcd requests the server makes (its process's
// etcd_request_duration_seconds counts, by operation) around each request.
import type { Pod } from '@coxswain/objects';
import { eventually, parsePrometheusText } from '@coxswain/testing';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

let f: ApiFixture;
beforeAll(async () => {
  f = await startApiFixture();
}, 60_000);
afterAll(async () => f?.stop(), 30_000);

const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });

type Op = 'list' | 'revision' | 'get' | 'txn';

async function etcdCalls<K extends Op = 'list' | 'revision'>(ops: readonly K[] = ['list', 'revision'] as K[]): Promise<Record<K, number>> {
  const { samples } = parsePrometheusText((await call(f.url, 'GET', '/metrics')).text);
  return Object.fromEntries(ops.map((op) => [op, samples.get(`etcd_request_duration_seconds_count{operation="${op}"}`) ?? 0])) as Record<K, number>;
}

/** The names a LIST answers, and the etcd requests made while it was answered. */
async function listed(query: string): Promise<{ names: string[]; etcd: Record<'list' | 'revision', number> }> {
  const before = await etcdCalls();
  const res = await call(f.url, 'GET', `/api/v1/namespaces/default/pods${query}`);
  expect(res.status).toBe(200);
  const after = await etcdCalls();
  return { names: res.json.items.map((p: Pod) => p.metadata.name), etcd: { list: after.list - before.list, revision: after.revision - before.revision } };
}

it('a consistent LIST right after a write sees it, from memory: one count-only read of etcd, no range', async () => {
  for (const name of ['w1', 'w2', 'w3']) {
    await f.store.create(pod(name));
    const r = await listed('');
    expect(r.names).toContain(name);
    expect(r.etcd).toEqual({ list: 0, revision: 1 });
  }
});

it('resourceVersion=0 and NotOlderThan a written revision are answered from memory without asking etcd anything', async () => {
  const written = await f.store.create(pod('n1'));
  const notOlder = await listed(`?resourceVersionMatch=NotOlderThan&resourceVersion=${written.metadata.resourceVersion}`);
  expect(notOlder.names).toContain('n1');
  expect(notOlder.etcd).toEqual({ list: 0, revision: 0 });
  const any = await listed('?resourceVersion=0');
  expect(any.names).toContain('n1'); // the cache had reached it already
  expect(any.etcd).toEqual({ list: 0, revision: 0 });
});

it('an Exact resourceVersion and a continued list read etcd, at that revision', async () => {
  const at = await f.store.currentRevision();
  await f.store.create(pod('later'));
  const exact = await listed(`?resourceVersionMatch=Exact&resourceVersion=${at}`);
  expect(exact.names).not.toContain('later');
  expect(exact.etcd.list).toBe(1);
  const first = await call(f.url, 'GET', '/api/v1/namespaces/default/pods?limit=1');
  const rest = await listed(`?limit=100&continue=${first.json.metadata.continue}`);
  expect(rest.etcd.list).toBe(1);
  // The two pages together are the whole list, each pod once.
  expect([first.json.items[0].metadata.name, ...rest.names]).toEqual((await listed('')).names);
});

it('a PUT without resourceVersion and a DELETE of a pod start from the cached copy: one etcd txn each, no read first', async () => {
  const made = await f.store.create(pod('p1'));
  // The cache has the pod once a LIST at its revision answers with it.
  expect((await listed(`?resourceVersionMatch=NotOlderThan&resourceVersion=${made.metadata.resourceVersion}`)).names).toContain('p1');
  const ops = ['get', 'txn', 'list'] as const;
  let before = await etcdCalls(ops);
  const put = await call(f.url, 'PUT', '/api/v1/namespaces/default/pods/p1', { ...pod('p1'), metadata: { name: 'p1', namespace: 'default', labels: { touched: 'yes' } } });
  expect(put.status).toBe(200);
  let after = await etcdCalls(ops);
  expect({ get: after.get - before.get, txn: after.txn - before.txn, list: after.list - before.list }).toEqual({ get: 0, txn: 1, list: 0 });
  expect((await f.store.get<Pod>('pods', 'default', 'p1')).metadata.labels).toEqual({ touched: 'yes' });

  // A write the cache may not have yet: the PUT still lands on the stored pod (a failed txn, then a read).
  await eventually(async () => (await listed('?resourceVersion=0')).names.includes('p1'), 5000, 'p1 listed');
  await f.store.guaranteedUpdate<Pod>('pods', 'default', 'p1', (p) => ({ ...p, metadata: { ...p.metadata, annotations: { direct: 'yes' } } }));
  const again = await call(f.url, 'PUT', '/api/v1/namespaces/default/pods/p1', { ...pod('p1'), metadata: { name: 'p1', namespace: 'default', labels: { touched: 'twice' } } });
  expect(again.status).toBe(200);
  expect((await f.store.get<Pod>('pods', 'default', 'p1')).metadata.labels).toEqual({ touched: 'twice' });

  const current = await f.store.get<Pod>('pods', 'default', 'p1');
  await listed(`?resourceVersionMatch=NotOlderThan&resourceVersion=${current.metadata.resourceVersion}`);
  before = await etcdCalls(ops);
  const del = await call(f.url, 'DELETE', '/api/v1/namespaces/default/pods/p1');
  expect(del.status).toBe(200);
  after = await etcdCalls(ops);
  expect({ get: after.get - before.get, txn: after.txn - before.txn }).toEqual({ get: 0, txn: 1 });
  await expect(f.store.get('pods', 'default', 'p1')).rejects.toThrow(/not found/);
});
