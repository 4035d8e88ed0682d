import { CampaignAbortedError, LeaderElector } from './leader-election';
import { spawn } from 'child_process';
import { EtcdStorage } from '@coxswain/store';
import { EtcdHarness, eventually, recordingLogger, sourceScript, startEtcd } from '@coxswain/testing';

/** Runs one LeaderElector in a child node process (TypeScript transpiled on load), so a test can SIGKILL it. */
function spawnCandidate(endpoint: string, prefix: string, identity: string, ttlSeconds: number) {
  const script = sourceScript(`
    const { LeaderElector } = require('@coxswain/client');
    const { createEtcdStorage } = require('@coxswain/store');
    const e = new LeaderElector({ storage: createEtcdStorage([${JSON.stringify(endpoint)}]), prefix: ${JSON.stringify(prefix)},
      identity: ${JSON.stringify(identity)}, ttlSeconds: ${ttlSeconds} });
    e.campaign().then(() => console.log('LEADING'), (err) => { console.error(err); process.exit(1); });
  `);
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COXSWAIN_LOG_LEVEL: 'silent' } });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const leading = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c) => String(c).includes('LEADING') && resolve());
    child.once('exit', (code) => reject(new Error(`candidate ${identity} exited (${code}): ${stderr}`)));
  });
  leading.catch(() => undefined);
  return { child, leading };
}

jest.setTimeout(60_000);

describe('LeaderElector (real etcd)', () => {
  let etcd: EtcdHarness;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd.stop();
  });

  let n = 0;
  const prefix = () => `/coxswain/test-election-${++n}`;

  function track(p: Promise<void>) {
    const state = { settled: false, error: undefined as unknown };
    p.then(
      () => (state.settled = true),
      (err) => {
        state.settled = true;
        state.error = err;
      },
    );
    return state;
  }

  const until = (cond: () => boolean, timeoutMs: number, what: string) => eventually(cond, timeoutMs, what, 20);

  // Candidates log their decisions; a test waits for "waiting for predecessor" where it must show
  // that a candidate does not lead: the candidate has looked and decided, so no timer is needed.
  const { logger, records } = recordingLogger();
  const candidate = (election: string, identity: string, ttlSeconds = 10) =>
    new LeaderElector({ storage: new EtcdStorage(etcd.client()), prefix: election, identity, ttlSeconds, logger: logger.child({ election, identity }) });
  const waitsFor = (election: string, identity: string, predecessorKey?: string) =>
    until(
      () =>
        records.some(
          (r) => r.election === election && r.identity === identity && r.msg === 'waiting for predecessor' && (!predecessorKey || r.predecessor === predecessorKey),
        ),
      5000,
      `${identity} to wait for ${predecessorKey ?? 'a predecessor'}`,
    );

  it('two candidates: exactly one leads; when the leader process is killed, the other leads within the TTL', async () => {
    const p = prefix();
    const ttlSeconds = 3;
    // Candidate a runs in its own process so that it can really die (SIGKILL: no resign, no revoke).
    const a = spawnCandidate(etcd.endpoints[0], p, 'a', ttlSeconds);
    try {
      await a.leading;
      const b = candidate(p, 'b', ttlSeconds);
      const bState = track(b.campaign());
      await waitsFor(p, 'b');
      expect(b.isLeader).toBe(false); // exactly one leads
      expect(bState.settled).toBe(false);
      expect(await LeaderElector.currentLeader(new EtcdStorage(etcd.client()), p)).toBe('a');

      a.child.kill('SIGKILL');
      const killedAt = Date.now();
      await until(() => b.isLeader, ttlSeconds * 1000 + 3000, 'b to lead');
      const tookMs = Date.now() - killedAt;
      expect(bState.error).toBeUndefined();
      // The lease expires one TTL after a's last keepalive (sent every TTL/3), so b leads within the
      // TTL, plus etcd's expiry sweep (every 500 ms) and a little scheduling slack.
      expect(tookMs).toBeLessThanOrEqual(ttlSeconds * 1000 + 1000);
      expect(await LeaderElector.currentLeader(new EtcdStorage(etcd.client()), p)).toBe('b');
      await b.resign();
    } finally {
      a.child.kill('SIGKILL');
    }
  });

  it('revoking the leader lease (session lost) makes it lose at once and the next candidate lead', async () => {
    const p = prefix();
    const a = new LeaderElector({ storage: new EtcdStorage(etcd.client()), prefix: p, identity: 'a', ttlSeconds: 10 });
    const b = new LeaderElector({ storage: new EtcdStorage(etcd.client()), prefix: p, identity: 'b', ttlSeconds: 10 });
    await a.campaign();
    const bState = track(b.campaign());
    const lost: Error[] = [];
    a.onLost((e) => lost.push(e));

    // An operator (or etcd) ends a's lease from outside.
    const admin = etcd.client();
    const leaseId = BigInt('0x' + a.key!.split('/').pop()!).toString();
    await admin.leaseClient.leaseRevoke({ ID: leaseId });

    await until(() => lost.length === 1 && b.isLeader, 3000, 'a to lose and b to lead');
    expect(a.isLeader).toBe(false);
    expect(bState.error).toBeUndefined();
    await b.resign();
  });

  it('candidates lead in the order they joined; resign hands over at once', async () => {
    const p = prefix();
    const es = ['a', 'b', 'c'].map((id) => candidate(p, id));
    await es[0].campaign();
    const b = track(es[1].campaign());
    await waitsFor(p, 'b'); // b joins before c
    const c = track(es[2].campaign());
    await waitsFor(p, 'c', es[1].key);
    expect(es.map((e) => e.isLeader)).toEqual([true, false, false]);

    await es[0].resign();
    await until(() => es[1].isLeader, 2000, 'b to lead');
    expect(b.settled && !b.error).toBe(true);
    expect(es[2].isLeader).toBe(false);
    expect(c.settled).toBe(false);

    // The middle candidate leaving while c waits on it does not make c lead early... it is leading, so c leads next.
    await es[1].resign();
    await until(() => es[2].isLeader, 2000, 'c to lead');
    expect(await LeaderElector.currentLeader(new EtcdStorage(etcd.client()), p)).toBe('c');
    await es[2].resign();
    expect(await LeaderElector.currentLeader(new EtcdStorage(etcd.client()), p)).toBeUndefined();
  });

  it('a waiting candidate whose predecessor (not the leader) leaves keeps waiting for the leader', async () => {
    const p = prefix();
    const es = ['a', 'b', 'c'].map((id) => candidate(p, id));
    await es[0].campaign();
    const b = track(es[1].campaign());
    await waitsFor(p, 'b');
    const c = track(es[2].campaign());
    await waitsFor(p, 'c', es[1].key);
    await es[1].resign(); // c's predecessor goes away; a still leads
    expect(b.error).toBeInstanceOf(CampaignAbortedError);
    // c has seen b's key go, looked again and decided to wait for a's.
    await waitsFor(p, 'c', es[0].key);
    expect(es[2].isLeader).toBe(false);
    expect(c.settled).toBe(false);
    await es[0].resign();
    await until(() => es[2].isLeader, 2000, 'c to lead');
    await es[2].resign();
  });

  it('a leader keeps leading across an etcd restart shorter than its TTL, and its key is still watched', async () => {
    const p = prefix();
    // Counts the keepalives that reach etcd, on the lease the elector renews through this storage.
    const storage = new EtcdStorage(etcd.client());
    const keepAlive = storage.leases.keepAlive.bind(storage.leases);
    let keepalives = 0;
    storage.leases.keepAlive = (id) => keepAlive(id).then(() => void keepalives++);
    const a = new LeaderElector({ storage, prefix: p, identity: 'a', ttlSeconds: 8 });
    await a.campaign();
    const lost: Error[] = [];
    a.onLost((e) => lost.push(e));
    await etcd.kill();
    const beforeRestart = keepalives;
    await etcd.restart();
    await until(() => keepalives > beforeRestart, 8000, 'a keepalive to reach the restarted etcd');
    expect(lost).toEqual([]);
    expect(a.isLeader).toBe(true);
    // The own-key watch was re-established: deleting the key by hand is noticed.
    await etcd.client().delete().key(a.key!);
    await until(() => lost.length === 1, 3000, 'a to lose its deleted key');
    expect(a.isLeader).toBe(false);
  });

  // Last: it takes etcd down.
  it('a leader that cannot reach etcd gives up leadership before its lease could have expired', async () => {
    const ttlSeconds = 3;
    const a = new LeaderElector({ storage: new EtcdStorage(etcd.client()), prefix: prefix(), identity: 'a', ttlSeconds });
    await a.campaign();
    const lost: Error[] = [];
    a.onLost((e) => lost.push(e));
    await etcd.kill();
    const killedAt = Date.now();
    await until(() => lost.length > 0, ttlSeconds * 1000 + 1000, 'a to give up leadership');
    expect(Date.now() - killedAt).toBeLessThan(ttlSeconds * 1000);
    expect(a.isLeader).toBe(false);
    expect(lost[0].message).toMatch(/keepalive/);
    await etcd.restart();
  });

  it('after a loss while etcd was away, the next elector revokes the stale lease and leads at once', async () => {
    const ttlSeconds = 6; // etcd restarts its leases' TTL on recovery: without the revoke, b would wait ~6 s
    const election = prefix();
    const a = new LeaderElector({ storage: new EtcdStorage(etcd.client()), prefix: election, identity: 'a', ttlSeconds });
    await a.campaign();
    const lost: Error[] = [];
    a.onLost((e) => lost.push(e));
    await etcd.kill();
    await until(() => lost.length > 0, ttlSeconds * 1000 + 1000, 'a to give up leadership');
    expect(a.unreleasedLease).toBeDefined(); // etcd did not answer the revoke
    await etcd.restart();
    const answeredAt = Date.now();
    const b = new LeaderElector({ storage: new EtcdStorage(etcd.client()), prefix: election, identity: 'b', ttlSeconds, staleLease: a.unreleasedLease });
    await b.campaign();
    expect(Date.now() - answeredAt).toBeLessThan(3000);
    expect(await LeaderElector.currentLeader(new EtcdStorage(etcd.client()), election)).toBe('b');
    await b.resign();
  });
});
