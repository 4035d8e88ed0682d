// The coxswain binary's plumbing: shared flags read at parse time (one line naming the flag for bad
// input), and the one shutdown path — SIGTERM runs the component's stop and the process exits 0.
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { eventually, startEtcd, sourceScript, type EtcdHarness } from '@coxswain/testing';
import { parseCommandLine } from './main';

describe('coxswain flags', () => {
  it('reads --etcd-servers into a list and durations into milliseconds', () => {
    const a = parseCommandLine(['minion-controller', '--etcd-servers', 'http://127.0.0.1:2379, http://127.0.0.2:2379', '--grace-period', '1m30s', '--eviction-timeout', '2h']);
    expect(a.etcdServers).toEqual(['http://127.0.0.1:2379', 'http://127.0.0.2:2379']);
    expect(a.gracePeriod).toBe(90_000);
    expect(a.evictionTimeout).toBe(7_200_000);
    expect(parseCommandLine(['minion-controller', '--etcd-servers', 'http://e:2379']).gracePeriod).toBe(40_000);
    expect(parseCommandLine(['proxy', '--minion', 'm', '--etcd-servers', 'http://e:2379', '--udp-session-timeout', '500ms']).udpSessionTimeout).toBe(500);
  });

  it.each([
    [['scheduler', '--etcd-servers', ''], '--etcd-servers: give at least one etcd client URL, e.g. http://127.0.0.1:2379'],
    [['kubelet', '--minion', 'm', '--address', '127.0.1.1', '--etcd-servers', '127.0.0.1:2379'], '--etcd-servers: "127.0.0.1:2379" is not an http(s) URL'],
    [['minion-controller', '--etcd-servers', 'http://e:2379', '--grace-period', 'soon'], '--grace-period: "soon" is not a duration'],
    [['proxy', '--minion', 'm', '--etcd-servers', 'http://e:2379', '--udp-session-timeout', '10x'], '--udp-session-timeout: "10x" is not a duration'],
    [['scheduler', '--etcd-servers', 'https://e:2379', '--etcd-cafile', __filename], '--etcd-certfile, --etcd-keyfile: give all three of --etcd-cafile, --etcd-certfile and --etcd-keyfile, or none'],
    [['apiserver', '--etcd-servers', 'http://e:2379', '--etcd-cafile', __filename, '--etcd-certfile', __filename, '--etcd-keyfile', __filename], '--etcd-servers: "http://e:2379" is not https'],
  ])('%j is refused, naming the flag', (args, message) => {
    expect(() => parseCommandLine(args)).toThrow(message);
  });
});

describe('coxswain shutdown', () => {
  let etcd: EtcdHarness;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    etcd = await startEtcd();
  }, 30_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await etcd?.stop();
  });

  /** Runs `coxswain <args>` from source in its own process; its JSON log lines are collected. */
  function coxswain(args: string[]) {
    const script = sourceScript(`require(${JSON.stringify(path.join(__dirname, 'main.ts'))}).main(${JSON.stringify(args)});`);
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COXSWAIN_LOG_LEVEL: 'info' } });
    children.push(child);
    const logs: Array<Record<string, unknown>> = [];
    let buffered = '';
    child.stdout!.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.startsWith('{')) logs.push(JSON.parse(line));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const logged = (msg: string, where: (l: Record<string, unknown>) => boolean = () => true) =>
      eventually(() => logs.find((l) => l.msg === msg && where(l)), 20_000, `log "${msg}"`);
    return { child, exited, logged };
  }

  it('an API server stops serving and exits 0 on SIGTERM', async () => {
    const api = coxswain(['apiserver', '--etcd-servers', etcd.endpoints.join(','), '--port', '0']);
    const url = String((await api.logged('API server listening')).url);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    await api.logged('API server stopped');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  }, 30_000);

  it('a reconciler stops its workers, resigns and exits 0 on SIGTERM', async () => {
    const scheduler = coxswain(['scheduler', '--etcd-servers', etcd.endpoints.join(',')]);
    await scheduler.logged('scheduler running');
    scheduler.child.kill('SIGTERM');
    expect(await scheduler.exited).toBe(0);
    expect((await scheduler.logged('scheduler stopped')).reason).toBe('stopped');
  }, 30_000);

  it('a reconciler that loses leadership stops its work and leads again in the same process', async () => {
    const scheduler = coxswain(['scheduler', '--etcd-servers', etcd.endpoints.join(',')]);
    await scheduler.logged('scheduler running', (l) => l.term === 1);
    await etcd.client().delete().prefix('/coxswain/leader/scheduler/');
    await scheduler.logged('lost leadership: stopping work, campaigning again');
    await scheduler.logged('scheduler running', (l) => l.term === 2);
    expect(scheduler.child.exitCode).toBeNull();
    scheduler.child.kill('SIGTERM');
    expect(await scheduler.exited).toBe(0);
  }, 30_000);

  describe('on an etcd that demands client certificates', () => {
    let tlsEtcd: EtcdHarness;
    beforeAll(async () => {
      tlsEtcd = await startEtcd({ tls: true });
    }, 30_000);
    afterAll(() => tlsEtcd?.stop());

    const etcdFlags = (name: string, cn: string) => {
      const f = tlsEtcd.tls!.issueClient(name, cn);
      return ['--etcd-servers', tlsEtcd.endpoints.join(','), '--etcd-cafile', f.caFile, '--etcd-certfile', f.certFile, '--etcd-keyfile', f.keyFile];
    };

    it('an API server and a scheduler given --etcd-cafile/--etcd-certfile/--etcd-keyfile write and lead through TLS', async () => {
      const api = coxswain(['apiserver', ...etcdFlags('apiserver', 'system:coxswain:apiserver'), '--port', '0']);
      const url = String((await api.logged('API server listening')).url);
      const created = await fetch(`${url}/api/v1/namespaces/default/configmaps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'over-tls' }, data: { a: 'b' } }),
      });
      expect(created.status).toBe(201);
      const keys = await tlsEtcd.client().getAll().prefix('/').keys();
      expect(keys.some((k) => k.endsWith('/default/over-tls'))).toBe(true);

      const scheduler = coxswain(['scheduler', ...etcdFlags('scheduler', 'system:coxswain:scheduler')]);
      await scheduler.logged('scheduler running');
      for (const p of [api, scheduler]) p.child.kill('SIGTERM');
      expect([await api.exited, await scheduler.exited]).toEqual([0, 0]);
    }, 30_000);
  });
});
