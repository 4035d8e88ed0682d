// The seed's guestbook, end to end: `coxswain up --minions 3` (the LocalCluster launcher in this
// process; etcd, the API server, the four reconcilers and a kubelet + proxy per minion are real
// child processes running the built `coxswain` binary) on the real Docker engine, driven with
// kubecfg through the talk's session on examples/seed-guestbook/ as printed (its image names are the
// local builds, tagged under the slides' names by e2e/images/build.sh).
//
// The steps run in order and share the cluster: each `it` continues where the previous one left off.
// Non-default API/etcd/healthz ports; the minions are the launcher's own (minion-N at 127.0.1.N, pod
// network 172.30.N.0/24), so this suite cannot run beside a developer's `coxswain up`.
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiClient, ClientWatchEvent, WatchClient } from '@coxswain/client';
import { LocalCluster, minionLayout } from '@coxswain/coxswain';
import { eventually } from '@coxswain/testing';
import { type Endpoints, type Pod, type ReplicationController, type Service } from '@coxswain/objects';
import { buildCoxswain, ROOT } from './support/coxswain-binary';
import { GuestbookClient } from './support/guestbook-client';
import { ensureImages } from './support/images';
import { Kubecfg, kubecfgFor, mustSucceed } from './support/kubecfg';
import { lockLocalMinions } from './support/local-minions-lock';
import { refuseMinionLeftovers, stopClusterAndListLeftovers } from './support/cluster-teardown';
import { GUESTBOOK_V2, seedGuestbookFiles } from './support/seed-manifests';

jest.setTimeout(120_000);

const MINIONS = [1, 2, 3].map(minionLayout);
const API_PORT = 18380;
const ETCD_PORT = 12579;
const HEALTHZ_PORT_BASE = 18351;
const RECONCILERS = ['scheduler', 'replication', 'endpoints', 'minion-controller'];

let tmp: string;
let cluster: LocalCluster | undefined;
let api: ApiClient;
let k: Kubecfg;
let files: Record<string, string>;
let unlock: (() => void) | undefined;
/** Messages posted so far; every read of the guestbook must return all of them, in order. */
const posted: string[] = [];

let stepsPassed = 0;
let stepsDeclared = 0;

const must = (...args: string[]) => mustSucceed(k, ...args);
/** A step of the session; the data dir (with every component's log) is kept unless all passed. */
function step(name: string, fn: () => Promise<void>): void {
  stepsDeclared++;
  it(name, async () => {
    await fn();
    stepsPassed++;
  });
}
const logs = () => path.join(tmp, 'data', 'logs');

beforeAll(async () => {
  unlock = await lockLocalMinions();
  await Promise.all([ensureImages(), buildCoxswain()]);
  await refuseMinionLeftovers(MINIONS.map((m) => m.name));
  tmp = mkdtempSync(path.join(os.tmpdir(), 'coxswain-guestbook-'));
  files = seedGuestbookFiles();
  const config = path.join(tmp, 'config.json');
  cluster = new LocalCluster({
    minions: 3,
    port: API_PORT,
    dataDir: path.join(tmp, 'data'),
    etcdPort: ETCD_PORT,
    runtime: 'docker',
    minionGracePeriod: '15s',
    podEvictionTimeout: '3s',
    cliConfigPath: config,
    healthzPortBase: HEALTHZ_PORT_BASE,
    // Components log to their files in the data dir (the logger is silent under jest otherwise).
    env: { JEST_WORKER_ID: '', COXSWAIN_LOG_LEVEL: 'info' },
  });
  await cluster.start();
  api = new ApiClient({ server: cluster.apiUrl, version: 'v1', timeoutMs: 10_000 });
  k = kubecfgFor(config, ROOT);
  await eventually(async () => (await api.list('minions')).items.length === 3, 30_000, `3 minions registered (logs in ${logs()})`, 250);
}, 11 * 60_000);

afterAll(async () => {
  const leftovers = await stopClusterAndListLeftovers(cluster, unlock, MINIONS.map((m) => m.name));
  if (!leftovers) return;
  const { containers: left, networks } = leftovers;
  const allPassed = stepsPassed === stepsDeclared && !left.length && !networks.length;
  if (allPassed && !process.env.COXSWAIN_E2E_KEEP) rmSync(tmp, { recursive: true, force: true });
  else console.log(`guestbook e2e: component logs kept in ${logs()}`);
  expect({ containers: left, networks }).toEqual({ containers: [], networks: [] });
});

// ---- reading the cluster ---------------------------------------------------------------------------

async function pods(labelSelector?: string): Promise<Pod[]> {
  return (await api.list<Pod>('pods', { labelSelector })).items;
}
const isReady = (p: Pod) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const names = (ps: Pod[]) => ps.map((p) => p.metadata.name).sort();
const hostPort = (minion: string) => `${MINIONS.find((m) => m.name === minion)!.address}:8000`;
const frontends = () => pods('name=frontend');

/** Waits until the pods matching `selector` are exactly `count`, all Running and Ready. */
function allRunning(selector: string, count: number, timeoutMs = 60_000): Promise<Pod[]> {
  return eventually(
    async () => {
      const ps = await pods(selector);
      return ps.length === count && ps.every(isReady) && ps;
    },
    timeoutMs,
    `${count} pods ${selector} Running and Ready (logs in ${logs()})`,
    250,
  );
}

/** Reads through the frontend on this minion until it returns every posted message. */
function readsBack(minion: string, timeoutMs = 30_000) {
  const gb = new GuestbookClient(hostPort(minion));
  return eventually(
    async () => {
      const r = await gb.read();
      return JSON.stringify(r.messages) === JSON.stringify(posted) && r;
    },
    timeoutMs,
    `the guestbook on ${minion} to list ${JSON.stringify(posted)}`,
    250,
  );
}

async function post(minion: string, message: string): Promise<void> {
  await new GuestbookClient(hostPort(minion)).post(message);
  posted.push(message);
}

const distinct = (xs: (string | undefined)[]) => new Set(xs).size === xs.length && xs.every(Boolean);

// ---- the session -----------------------------------------------------------------------------------

describe('the seed guestbook on coxswain up --minions 3', () => {
  step('runs the talk\'s session: every pod Running, slaves and frontends spread by their host ports', async () => {
    expect(await must('-c', files['redis-master.json'], 'create', 'pods')).toMatch(/redis-master-2\s+dockerfile\/redis\s/);
    expect(await must('list', 'pods')).toContain('redis-master-2');
    expect(await must('-c', files['redis-master-service.json'], 'create', 'services')).toMatch(/redismaster\s+name=redis-master\s+172\.30\.0\.\d+\s+10000/);
    expect(await must('-c', files['redis-slave-controller.json'], 'create', 'replicationControllers')).toMatch(/redisSlaveController\s+brendanburns\/redis-slave\s+name=redisslave\s+2/);
    await must('list', 'pods');
    expect(await must('-c', files['redis-slave-service.json'], 'create', 'services')).toMatch(/redisslave\s+name=redisslave\s+name=redisslave\s+172\.30\.0\.\d+\s+10001/);
    expect(await must('-c', files['frontend-controller.json'], 'create', 'replicationControllers')).toMatch(/frontendController\s+brendanburns\/php-redis\s+name=frontend\s+3/);

    const [master] = await allRunning('name=redis-master', 1);
    const slaves = await allRunning('name=redisslave', 2);
    const fronts = await allRunning('name=frontend', 3);
    expect(master.spec.nodeName).toBeTruthy();
    expect(distinct(slaves.map((p) => p.spec.nodeName))).toBe(true);
    expect(distinct(fronts.map((p) => p.spec.nodeName))).toBe(true);

    // What the user sees: six rows, each Running on a minion with its address.
    const table = (await must('list', 'pods')).trim().split('\n').slice(2);
    expect(table).toHaveLength(6);
    for (const row of table) expect(row).toMatch(/minion-\d\/127\.0\.1\.\d .*Running$/);
  });

  step('stores a message posted through one frontend and reads it back through every frontend', async () => {
    const fronts = await frontends();
    const page = await new GuestbookClient(hostPort(fronts[0].spec.nodeName!)).page();
    for (const word of ['Guestbook', 'Messages', 'Submit', 'frontend v1']) expect(page).toContain(word);

    await post(fronts[0].spec.nodeName!, 'hello from the seed talk');
    for (const p of fronts) expect((await readsBack(p.spec.nodeName!)).version).toBe('v1');
  });

  step('resize to 5 on 3 minions: 3 Running, 2 Pending with FailedScheduling; resize to 1', async () => {
    expect(await must('resize', 'frontendController', '5')).toMatch(/frontendController\s+\S+\s+name=frontend\s+5/);
    const pending = await eventually(async () => {
      const ps = await frontends();
      const running = ps.filter(isReady);
      const waiting = ps.filter((p) => !p.spec.nodeName && p.status?.phase === 'Pending');
      return ps.length === 5 && running.length === 3 && waiting.length === 2 && waiting;
    }, 30_000, '5 frontends: 3 Running, 2 Pending unbound', 250);
    for (const p of pending) {
      const described = await eventually(async () => {
        const out = await must('describe', 'pods', p.metadata.name);
        return out.includes('FailedScheduling') && out;
      }, 30_000, `a FailedScheduling event on ${p.metadata.name}`, 250);
      expect(described).toMatch(/host port 8000/);
    }

    await must('resize', 'frontendController', '1');
    const [last] = await allRunning('name=frontend', 1);
    expect((await readsBack(last.spec.nodeName!)).messages).toEqual(posted);
  });

  step('rollingupdate to v2 replaces the frontends one at a time while the guestbook keeps answering', async () => {
    await must('resize', 'frontendController', '3');
    const before = await allRunning('name=frontend', 3);

    // A reader polls every frontend host port and the pod list, five rounds a second (a rate, not a
    // wait for anything; a round still running when the next is due is not doubled), until the update ends.
    const stats = { rounds: 0, roundsWithNoAnswer: 0, failedRequests: 0, requests: 0, minReadyPods: 3, versionsSeen: new Set<string>() };
    const pollRound = async () => {
      const answers = await Promise.all(
        MINIONS.map((m) =>
          new GuestbookClient(`${m.address}:8000`).read().then(
            (r) => (JSON.stringify(r.messages) === JSON.stringify(posted) ? r.version : undefined),
            () => undefined,
          ),
        ),
      );
      const ready = (await frontends().catch(() => [])).filter(isReady).length;
      stats.rounds++;
      stats.requests += answers.length;
      stats.failedRequests += answers.filter((a) => !a).length;
      if (answers.every((a) => !a)) stats.roundsWithNoAnswer++;
      answers.forEach((a) => a && stats.versionsSeen.add(a));
      stats.minReadyPods = Math.min(stats.minReadyPods, ready);
    };
    let round: Promise<void> | undefined;
    const poll = () => void (round ??= pollRound().finally(() => (round = undefined)));
    poll();
    const poller = setInterval(poll, 200);
    const started = Date.now();
    let out: string;
    try {
      out = await must('rollingupdate', 'frontendController', '--image', GUESTBOOK_V2, '-u', '1s', '--timeout', '60s');
    } finally {
      clearInterval(poller);
      await round;
    }
    console.log(
      `rollingupdate of 3 frontends took ${((Date.now() - started) / 1000).toFixed(1)} s; ${stats.rounds} poll rounds over 3 host ports: ` +
        `${stats.roundsWithNoAnswer} rounds with no frontend answering, ${stats.failedRequests}/${stats.requests} requests failed ` +
        `(the port of the pod being replaced), at least ${stats.minReadyPods} of 3 frontend pods ready at every poll`,
    );
    expect(out.match(/^Stopped pod\//gm)).toHaveLength(3);
    expect(out).toContain('replicationcontroller/frontendController updated');
    expect(stats.roundsWithNoAnswer).toBe(0);
    expect(stats.minReadyPods).toBeGreaterThanOrEqual(2);
    expect([...stats.versionsSeen].sort()).toEqual(['v1', 'v2']);

    const after = await allRunning('name=frontend', 3);
    expect(names(after).filter((n) => names(before).includes(n))).toEqual([]);
    expect(after.every((p) => p.spec.containers[0].image === GUESTBOOK_V2)).toBe(true);
    for (const p of after) expect((await readsBack(p.spec.nodeName!)).version).toBe('v2');
    expect(await new GuestbookClient(hostPort(after[0].spec.nodeName!)).page()).toContain('frontend v2');
  });

  step('replaces a deleted frontend pod', async () => {
    const before = await frontends();
    const [victim] = before;
    await must('delete', `pods/${victim.metadata.name}`);
    const after = await eventually(async () => {
      const ps = await frontends();
      return ps.length === 3 && ps.every(isReady) && !names(ps).includes(victim.metadata.name) && ps;
    }, 30_000, `a replacement for ${victim.metadata.name}`, 250);
    const replacement = after.find((p) => !names(before).includes(p.metadata.name))!;
    expect(replacement.spec.nodeName).toBe(victim.spec.nodeName);
    expect((await readsBack(replacement.spec.nodeName!)).version).toBe('v2');
  });

  step('survives a restart of the API server and every reconciler: nothing lost, watches resume', async () => {
    const snapshot = async () => ({
      pods: (await pods()).map((p) => `${p.metadata.name}/${p.metadata.uid}/${p.spec.nodeName}`).sort(),
      services: (await api.list<Service>('services')).items.map((s) => `${s.metadata.name}/${s.metadata.uid}`).sort(),
      controllers: (await api.list<ReplicationController>('replicationControllers')).items.map((c) => `${c.metadata.name}/${c.metadata.uid}/${c.spec.replicas}`).sort(),
    });
    const before = await snapshot();
    // A client's view of the pods, kept by a watch as a reflector keeps one: events apply to it, and
    // when its revision has expired (410: the restarted API server's watch cache starts its window
    // at its own first list, as Kubernetes' cacher does) it relists and carries on from there.
    const podNames = (items: Pod[]) => new Set(items.map((p) => p.metadata.name));
    const start = await api.list<Pod>('pods');
    let view = podNames(start.items);
    let relists = 0;
    let connections = 0;
    const watch: WatchClient = api.watch('pods', {
      resourceVersion: start.resourceVersion,
      onEvent: (e: ClientWatchEvent) => {
        const name = (e.object as unknown as Pod).metadata?.name;
        if (e.type === 'DELETED') view.delete(name);
        else if (e.type === 'ADDED' || e.type === 'MODIFIED') view.add(name);
      },
      onConnected: () => void connections++,
      onExpired: async () => {
        relists++;
        const now = await api.list<Pod>('pods');
        view = podNames(now.items);
        return now.resourceVersion;
      },
      backoff: { initialMs: 100, maxMs: 1000 },
    });
    try {
      await eventually(() => connections >= 1, 30_000, 'the pod watch to connect', 250);
      const old = new Map(['apiserver', ...RECONCILERS].map((n) => [n, cluster!.component(n)!.pid]));
      for (const name of old.keys()) cluster!.component(name)!.kill('SIGKILL');
      await eventually(async () => (await api.healthz()) && [...old].every(([n, pid]) => cluster!.component(n)!.pid !== undefined && cluster!.component(n)!.pid !== pid), 30_000, 'the API server and reconcilers to be restarted by the launcher', 250);
      expect(await snapshot()).toEqual(before);

      // The reconcilers work again (each waits out its predecessor's leader lease): a deleted
      // frontend and a deleted redis slave are replaced, and the slave's endpoint follows it.
      const [front] = await frontends();
      const [slave] = await pods('name=redisslave');
      await must('delete', `pods/${front.metadata.name}`);
      await must('delete', `pods/${slave.metadata.name}`);
      const slaves = await eventually(async () => {
        const ps = await pods('name=redisslave');
        return ps.length === 2 && ps.every(isReady) && !names(ps).includes(slave.metadata.name) && ps;
      }, 60_000, 'a replacement redis slave', 250);
      await allRunning('name=frontend', 3);
      await eventually(async () => {
        const ep = await api.get<Endpoints>('endpoints', 'redisslave');
        const ips = (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
        return JSON.stringify(ips) === JSON.stringify(slaves.map((p) => p.status!.podIP!).sort());
      }, 30_000, 'the redisslave endpoints to list the new slave', 250);

      // The watch opened before the restart reconnected, and its view lost both deleted pods and
      // holds their replacements (from events, or from a relist if its revision had expired).
      await eventually(() => connections >= 2, 30_000, 'the pod watch to reconnect', 250);
      const want = names(await pods());
      await eventually(
        () => !view.has(front.metadata.name) && !view.has(slave.metadata.name) && want.every((n) => view.has(n)),
        30_000,
        "the watch's view to lose the deleted pods and hold the replacements",
        250,
      );
      console.log(`guestbook e2e: the pod watch reconnected ${connections - 1} time(s) across the restart, relisting ${relists} time(s)`);
    } finally {
      await watch.close();
    }
    for (const p of await frontends()) await readsBack(p.spec.nodeName!);
  });

  step('moves the pods of a minion whose kubelet stopped, after the eviction timeout; the guestbook still answers', async () => {
    await must('resize', 'frontendController', '2');
    await allRunning('name=frontend', 2);
    const [master] = await pods('name=redis-master');
    const slaves = await allRunning('name=redisslave', 2);
    // A minion with a slave but not the master (the master is a bare pod: nothing would recreate it).
    const victim = slaves.map((p) => p.spec.nodeName!).find((n) => n !== master.spec.nodeName)!;
    const index = MINIONS.findIndex((m) => m.name === victim) + 1;
    const stoppedAt = Date.now();
    await cluster!.component(`kubelet-${index}`)!.stop();

    const moved = await eventually(async () => {
      const ps = await pods();
      const ok =
        ps.length === 5 &&
        ps.every((p) => isReady(p) && p.spec.nodeName && p.spec.nodeName !== victim) &&
        distinct(ps.filter((p) => p.metadata.labels?.name === 'redisslave').map((p) => p.spec.nodeName)) &&
        distinct(ps.filter((p) => p.metadata.labels?.name === 'frontend').map((p) => p.spec.nodeName));
      return ok && ps;
    }, 90_000, `every pod Running off ${victim}`, 250);
    console.log(`pods of ${victim} running elsewhere ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after its kubelet stopped (grace 15 s + eviction 3 s)`);
    expect(await must('list', 'minions')).toMatch(new RegExp(`${victim}\\s+127\\.0\\.1\\.\\d+\\s.*(NotReady|Unknown)`));

    const live = moved.filter((p) => p.metadata.labels?.name === 'frontend').map((p) => p.spec.nodeName!);
    await post(live[0], 'written after a minion went away');
    for (const m of live) await readsBack(m);
  });
});
