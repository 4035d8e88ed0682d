// etcd upkeep: of two API servers on one etcd, one (the leader) compacts it every interval, keeping
// the newest window of revisions; when it stops, the other takes over.
import { ExpiredError, type Pod } from '@coxswain/objects';
import { createEtcdStorage } from '@coxswain/store';
import { eventually, startEtcd, type EtcdHarness } from '@coxswain/testing';
import { runApiServer, type ApiServerHandle } from './api-server-command';

jest.setTimeout(60_000);

const WINDOW = 10;
let etcd: EtcdHarness;
const handles: ApiServerHandle[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  for (const h of handles) await h.close();
  await etcd?.stop();
});

const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });

/** Whether etcd can still be read at `revision` (false: compacted). */
async function readableAt(revision: bigint): Promise<boolean> {
  const direct = createEtcdStorage(etcd.endpoints);
  try {
    const pages = direct.listPages('/registry/', { revision: revision.toString(), pageSize: 1 });
    await pages.next();
    await pages.return(undefined);
    return true;
  } catch (e) {
    if (e instanceof ExpiredError) return false;
    throw e;
  } finally {
    await direct.close();
  }
}

async function writePods(h: ApiServerHandle, prefix: string, n: number): Promise<bigint> {
  for (let i = 0; i < n; i++) await h.store.create(pod(`${prefix}-${i}`));
  return BigInt(await h.store.currentRevision());
}

it('the leading API server compacts etcd to the window; the other takes over when it stops', async () => {
  const flags = { etcdServers: etcd.endpoints, port: 0, metricsResolutionMs: 0, etcdCompactionIntervalMs: 100, etcdCompactionWindow: WINDOW };
  handles.push(await runApiServer(flags), await runApiServer(flags));
  await eventually(() => handles.filter((h) => h.compactor!.isLeader).length === 1, 20_000, 'one leader');
  const [leader, other] = handles[0]!.compactor!.isLeader ? [handles[0]!, handles[1]!] : [handles[1]!, handles[0]!];

  const current = await writePods(leader, 'a', 30);
  await eventually(() => leader.compactor!.compactedTo === (current - BigInt(WINDOW)).toString(), 10_000, 'compacted to the window');
  expect(other.compactor!.compactedTo).toBe('0');
  // etcd keeps exactly the window: the oldest kept revision is readable, the one before is gone.
  expect(await readableAt(current - BigInt(WINDOW))).toBe(true);
  expect(await readableAt(current - BigInt(WINDOW) - 1n)).toBe(false);
  // The cache keeps serving: a list sees every pod.
  expect((await leader.store.list('pods', { namespace: 'default' })).items).toHaveLength(30);

  await leader.close();
  handles.splice(handles.indexOf(leader), 1);
  await eventually(() => other.compactor!.isLeader, 20_000, 'the other API server leads');
  const later = await writePods(other, 'b', 20);
  await eventually(() => other.compactor!.compactedTo === (later - BigInt(WINDOW)).toString(), 10_000, 'the new leader compacted');
  expect(await readableAt(later - BigInt(WINDOW) - 1n)).toBe(false);
});

it('refuses a compaction or watch cache window that is not a whole number of at least 1, naming the flag', async () => {
  await expect(runApiServer({ etcdServers: etcd.endpoints, port: 0, etcdCompactionWindow: 0 })).rejects.toThrow('--etcd-compaction-window: a whole number of at least 1, not 0');
  await expect(runApiServer({ etcdServers: etcd.endpoints, port: 0, watchCacheWindow: Number('many') })).rejects.toThrow('--watch-cache-window: a whole number of at least 1, not NaN');
});
