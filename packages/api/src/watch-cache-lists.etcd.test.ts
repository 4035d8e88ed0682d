// Which LISTs the API server answers from its watch cache, seen from outside: the etcd requests the
// server makes (its process's etcd_request_duration_seconds counts, by operation) around each LIST.
import type { Pod } from '@coxswain/objects';
import { parsePrometheusText } from '@coxswain/testing';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

let f: ApiFixture;
beforeAll(async () => {
  f = await startApiFixture();
}, 60_000);
afterAll(async () => f?.stop(), 30_000);

const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });

async function etcdCalls(): Promise<Record<'list' | 'revision', number>> {
  const { samples } = parsePrometheusText((await call(f.url, 'GET', '/metrics')).text);
  const count = (op: string) => samples.get(`etcd_request_duration_seconds_count{operation="${op}"}`) ?? 0;
  return { list: count('list'), revision: count('revision') };
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
