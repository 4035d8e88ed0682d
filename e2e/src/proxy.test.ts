// The service proxy end to end on a real Docker engine and a real etcd: one minion (kubelet in this
// process, pods on 172.30.31.0/24), the scheduler, replication manager and endpoints controller in
// this process, and the proxy in a child process of its own (so its memory can be measured apart).
// The proxy serves on the minion's service address, the pod network's gateway 172.30.31.1.
import { execFile, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { Registry } from '@coxswain/registry';
import { etcdRegistry, eventually, startEtcd, type EtcdHarness, sourceScript } from '@coxswain/testing';
import { type Endpoints, type Pod, type ReplicationController, type Service } from '@coxswain/objects';
import { DockerRuntime, LABELS, runKubelet, type RunningKubelet } from '@coxswain/kubelet';
import { runEndpointsController, runReplicationManager, runScheduler, type ReconcilerHandle } from '@coxswain/reconcilers';
import { ensureImages, IMAGES } from './support/images';
import { httpGet } from './support/http-get';
import { removeMinionLeftovers } from './support/minion-leftovers';

jest.setTimeout(180_000);

const M = { minion: 'e2e-proxy-31', address: '127.0.1.31', podCIDR: '172.30.31.0/24' };
const GATEWAY = '172.30.31.1';
const NS = 'default';
const ECHO_PORT = 18765;
const BULK_PORT = 18766;
const MiB = 1024 * 1024;

let etcd: EtcdHarness;
let store: Registry;
let kubelet: RunningKubelet | undefined;
const reconcilers: ReconcilerHandle[] = [];
let proxy: ProxyProcess | undefined;
const docker = new DockerRuntime();

// ---- the proxy in a child process, run from the TypeScript sources -------------------------------

interface ProxyProcess {
  child: ChildProcess;
  healthUrl: string;
  bindAddress: string;
  stop(): Promise<void>;
}

const BODY = `
const { runProxy } = require(path.join(ROOT, 'packages/proxy/src/run-proxy.ts'));
runProxy(JSON.parse(process.env.PROXY_OPTS)).then(
  (p) => {
    process.stdout.write('PROXY_READY ' + JSON.stringify({ healthUrl: p.health.url, bindAddress: p.bindAddress }) + '\\n');
    process.on('SIGTERM', () => p.stop().then(() => process.exit(0)));
  },
  (e) => { console.error(e); process.exit(1); },
);
`;

function startProxyProcess(opts: object): Promise<ProxyProcess> {
  const child = spawn(process.execPath, ['-e', sourceScript(BODY)], {
    env: { ...process.env, PROXY_OPTS: JSON.stringify(opts), COXSWAIN_LOG_LEVEL: 'warn', JEST_WORKER_ID: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`proxy did not start:\n${out}`));
    }, 60_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /PROXY_READY (\{.*\})/.exec(out);
      if (m) {
        clearTimeout(timer);
        const info = JSON.parse(m[1]) as { healthUrl: string; bindAddress: string };
        resolve({
          child,
          ...info,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`proxy exited (${code}):\n${out}`));
    });
  });
}

// ---- helpers -----------------------------------------------------------------------------------------

/** The name of the pod that answered (the httpd serves its hostname, which the kubelet sets to the pod's name). */
async function whoAnswers(port: number): Promise<string> {
  const r = await httpGet(`http://${GATEWAY}:${port}/`);
  if (r.status !== 200) throw new Error(`status ${r.status}`);
  return r.body.trim();
}

function dockerCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('docker', args, { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
  );
}

async function readyAddresses(name: string): Promise<string[]> {
  try {
    const ep = await store.get<Endpoints>('endpoints', NS, name);
    return ep.subsets.flatMap((s) => (s.addresses ?? []).map((a) => a.targetRef?.name ?? a.ip));
  } catch {
    return [];
  }
}

async function appContainer(podName: string, container: string): Promise<string> {
  const [c] = await docker.listContainers({ [LABELS.minion]: M.minion, [LABELS.podName]: podName, [LABELS.container]: container });
  if (!c) throw new Error(`no container ${container} of pod ${podName}`);
  return c.id;
}

async function metric(name: string, service: string): Promise<number> {
  const { body } = await httpGet(`${proxy!.healthUrl}/metrics`);
  const line = body.split('\n').find((l) => l.startsWith(`${name}{namespace="${NS}",service="${service}",`));
  return line ? Number(line.split(' ').pop()) : NaN;
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

const HTTPD_NAME = 'mkdir -p /tmp/www && hostname > /tmp/www/index.html';

function rc(name: string, replicas: number, script: string): ReplicationController {
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { app: name },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'web', image: IMAGES.busybox, command: ['sh', '-c', script], ports: [{ name: 'http', containerPort: 80 }] }],
        },
      },
    },
  };
}

function service(name: string, port: number): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS },
    spec: { ports: [{ port, targetPort: 'http', protocol: 'TCP' }], selector: { app: name } },
  };
}

const removeLeftovers = () => removeMinionLeftovers(docker, [M.minion]);

// ---- the cluster -------------------------------------------------------------------------------------

beforeAll(async () => {
  await ensureImages();
  await removeLeftovers();
  etcd = await startEtcd();
  store = etcdRegistry(etcd.client(), { watchProgressIntervalMs: 1000 });
  kubelet = await runKubelet({ ...M, etcdServers: etcd.endpoints, runtime: 'docker', port: 10250, resyncMs: 1000, heartbeatMs: 2000 });
  const common = { etcdServers: etcd.endpoints, leaderElect: false };
  reconcilers.push(await runScheduler(common), await runReplicationManager(common), await runEndpointsController(common));
  await Promise.all(reconcilers.map((r) => r.running));
  proxy = await startProxyProcess({ minion: M.minion, etcdServers: etcd.endpoints, healthzPort: 0 });
});

afterAll(async () => {
  await proxy?.stop();
  for (const r of reconcilers) await r.stop();
  await kubelet?.stop();
  await removeLeftovers();
  await store?.close();
  await etcd?.stop();
  await docker.close();
});

describe('service proxy on Docker', () => {
  let echoPods: string[] = [];

  it('binds the minion service address: the pod network gateway', async () => {
    expect(proxy!.bindAddress).toBe(GATEWAY);
    // /healthz answers 503 until the proxy's informers have synced (that is its point): wait for 200.
    await eventually(async () => (await httpGet(`${proxy!.healthUrl}/healthz`)).status === 200, 15_000, 'proxy /healthz 200', 200);
  });

  it('spreads 30 requests over a service of 3 pods whose httpd answers with the pod name', async () => {
    await store.create(service('echo', ECHO_PORT));
    await store.create(rc('echo', 3, `${HTTPD_NAME} && exec httpd -f -p 80 -h /tmp/www`));
    echoPods = await eventually(async () => {
      const a = await readyAddresses('echo');
      return a.length === 3 && a;
    }, 60_000, '3 ready echo endpoints', 200);
    await eventually(() => whoAnswers(ECHO_PORT), 60_000, 'the proxy to serve echo', 200);
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const who = await whoAnswers(ECHO_PORT);
      seen.set(who, (seen.get(who) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([...echoPods].sort());
  });

  it('is reached from inside a pod through the service environment variables', async () => {
    // Created after the service, so its containers get ECHO_SERVICE_HOST/PORT.
    await store.create<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client', namespace: NS },
      spec: { containers: [{ name: 'main', image: IMAGES.busybox, command: ['sleep', '3600'] }] },
    });
    await eventually(async () => (await store.get<Pod>('pods', NS, 'client')).status?.phase === 'Running', 60_000, 'client pod Running', 200);
    const id = await appContainer('client', 'main');
    const env = await docker.exec(id, ['sh', '-c', 'echo $ECHO_SERVICE_HOST:$ECHO_SERVICE_PORT'], 10_000);
    expect(env.output.trim()).toBe(`${GATEWAY}:${ECHO_PORT}`);
    const r = await docker.exec(id, ['sh', '-c', 'wget -q -O - http://$ECHO_SERVICE_HOST:$ECHO_SERVICE_PORT/'], 10_000);
    expect(r.exitCode).toBe(0);
    expect(echoPods).toContain(r.output.trim());
  });

  it('keeps answering when a backend container is killed, trying the next endpoint', async () => {
    const failuresBefore = await metric('coxswain_proxy_endpoint_connect_failures_total', 'echo');
    const victim = echoPods[0];
    await dockerCli(['kill', await appContainer(victim, 'web')]);
    // Straight away, before the kubelet, the endpoints controller and the proxy have caught up.
    const answers: string[] = [];
    for (let i = 0; i < 30; i++) answers.push(await whoAnswers(ECHO_PORT));
    expect(answers).toHaveLength(30);
    expect(answers.every((a) => echoPods.includes(a))).toBe(true);
    expect(await metric('coxswain_proxy_endpoint_connect_failures_total', 'echo')).toBeGreaterThan(failuresBefore);
    expect(await metric('coxswain_proxy_errors_total', 'echo')).toBe(0);
  });

  it('sends everything to the one pod left after scaling to 1', async () => {
    await store.guaranteedUpdate<ReplicationController>('replicationControllers', NS, 'echo', (cur) => ({ ...cur, spec: { ...cur.spec, replicas: 1 } }));
    const [left] = await eventually(async () => {
      const a = await readyAddresses('echo');
      return a.length === 1 && a;
    }, 60_000, 'one echo endpoint', 200);
    const answers = new Set<string>();
    for (let i = 0; i < 30; i++) answers.add(await whoAnswers(ECHO_PORT));
    expect([...answers]).toEqual([left]);
  });

  it('moves 100 MiB to a slow reader with the proxy process memory staying flat', async () => {
    await store.create(service('bulk', BULK_PORT));
    await store.create(
      rc('bulk', 1, `${HTTPD_NAME} && dd if=/dev/zero of=/tmp/www/big bs=1048576 count=100 2>/dev/null && exec httpd -f -p 80 -h /tmp/www`),
    );
    await eventually(async () => (await readyAddresses('bulk')).length === 1, 60_000, 'bulk endpoint', 200);
    await eventually(() => whoAnswers(BULK_PORT), 60_000, 'the proxy to serve bulk', 200);

    const pid = proxy!.child.pid!;
    const base = rssKiB(pid);
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 20);
    const started = Date.now();
    const bytes = await new Promise<number>((resolve, reject) => {
      http
        .get(`http://${GATEWAY}:${BULK_PORT}/big`, { agent: false }, (res) => {
          let n = 0;
          res.on('data', (d: Buffer) => {
            n += d.length;
            res.pause();
            setTimeout(() => res.resume(), 1);
          });
          res.on('end', () => resolve(n));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    clearInterval(sampler);
    const growthMiB = (peak - base) / 1024;
    console.log(`100 MiB through the proxy in ${Date.now() - started} ms; proxy RSS ${base >> 10} MiB, peak growth ${growthMiB.toFixed(1)} MiB`);
    expect(bytes).toBe(100 * MiB);
    expect(growthMiB).toBeLessThan(50);
  });
});
