// Resource accounting and active scaling on a real cluster: `coxswain up --minions 1` on the Docker
// engine (every component a child process). `kubecfg top` with a pod burning a core and an idle one. The kubelet reads them every 5 s, the API
// server's metrics pipeline scrapes it every 15 s (both defaults), and `kubecfg top pods` shows the
// busy pod near one core and the idle one under 20m, within 30 s of the pods running. Limits: a
// 200m CPU limit holds a busy loop near 200m (CFS quota), a 16Mi memory limit OOM-kills a shell
// that takes 64 MiB, and the pod says so. Last, a HorizontalPodAutoscaler grows an RC (kubecfg
// autoscale rc) and a Deployment (stock kubectl autoscale deployment) under a bounded load loop
// through its service and shrinks it back once the load stops (a sync period of 5 s and a
// stabilization window of 10 s, both flags of `up`, so that each takes seconds, not minutes).
import { execFileSync } from 'node:child_process';
import * as http from 'node:http';
import * as os from 'node:os';
import type { ApiClient } from '@coxswain/client';
import type { Deployment, HorizontalPodAutoscaler, Pod, ReplicationController, Service } from '@coxswain/objects';
import { eventually, familySum, kubeconfigFor, kubectlRunner, parsePrometheusText } from '@coxswain/testing';
import { startDockerCluster, type DockerCluster } from './support/docker-cluster';
import { IMAGES } from './support/images';
import { mustSucceed, type Kubecfg } from './support/kubecfg';

jest.setTimeout(120_000);

let env: DockerCluster | undefined;
let api: ApiClient;
let kubecfg: Kubecfg;

beforeAll(async () => {
  env = await startDockerCluster({ name: 'metrics', minions: 1, port: 18480, etcdPort: 12679, healthzPortBase: 18451, options: { hpaDownscaleStabilization: '10s', hpaSyncPeriod: '5s' } });
  ({ api, kubecfg } = env);
}, 5 * 60_000);

afterAll(async () => {
  if (env) expect(await env.stop()).toEqual({ containers: [], networks: [] });
});

const pod = (name: string, script: string, resources?: object): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'top' } },
    spec: { containers: [{ name: 'main', image: IMAGES.busybox, command: ['sh', '-c', script], resources }] },
  }) as Pod;

/** kubecfg top pods as rows: NAME -> CPU(cores) and the columns after it. */
async function topRows(): Promise<Map<string, string[]>> {
  const out = await mustSucceed(kubecfg, 'top', 'pods');
  return new Map(out.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)).map(([name, ...rest]) => [name, rest]));
}

it('kubecfg top pods: a pod burning a core near 1000m, an idle one under 20m, within 30 s of running; requests and limits beside', async () => {
  await api.create('pods', pod('busy', 'while :; do :; done', { requests: { cpu: '500m', memory: '32Mi' }, limits: { cpu: '2', memory: '256Mi' } }));
  await api.create('pods', pod('idle', 'trap "exit 0" TERM; while :; do sleep 1; done'));
  await eventually(async () => (await api.list<Pod>('pods')).items.every((p) => p.status?.phase === 'Running'), 60_000, 'both pods Running', 250);
  const running = Date.now();
  const rows = await eventually(
    async () => {
      const r = await topRows();
      return ['busy', 'idle'].every((n) => r.get(n)?.[0]?.endsWith('m')) && r;
    },
    30_000,
    'figures for both pods in kubecfg top',
    500,
  );
  const seconds = ((Date.now() - running) / 1000).toFixed(1);
  const busy = rows.get('busy')!;
  const idle = rows.get('idle')!;
  console.log(`top: figures ${seconds} s after both pods ran; busy ${busy.join(' ')}; idle ${idle.join(' ')}`);
  const millicores = (s: string) => Number(s.replace(/m$/, ''));
  // One busy loop: at most a core; on this 2-core machine most of one unless other work competes.
  expect(millicores(busy[0])).toBeLessThanOrEqual(1100);
  expect(millicores(busy[0])).toBeGreaterThanOrEqual(Number(os.loadavg()[0]) < 1.5 ? 900 : 300);
  expect(millicores(idle[0])).toBeLessThan(20);
  // CPU(cores) CPU-REQUESTS CPU-LIMITS MEMORY MEMORY-REQUESTS MEMORY-LIMITS
  expect([busy[1], busy[2], busy[4], busy[5]]).toEqual(['500m', '2', '32Mi', '256Mi']);
  expect(idle.slice(1, 3)).toEqual(['-', '-']);
  expect(busy[3]).toMatch(/^\d+Mi$/);
});

it('stock kubectl top pods and top nodes read the same Metrics API', async () => {
  const kubectl = kubectlRunner(kubeconfigFor(env!.cluster.apiUrl));
  let last = '';
  const pods = await eventually(async () => {
    last = await kubectl('top', 'pods', '-l', 'app=top').catch((e: Error) => e.message);
    return /^busy\s+\d+m\s+\d+Mi\s*$/m.test(last) && last;
  }, 30_000, 'kubectl top pods figures', 500).catch((e: Error) => {
    throw new Error(`${e.message}; kubectl printed: ${last}`);
  });
  expect(pods.split('\n')[0]).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/);
  expect(Number(/^busy\s+(\d+)m/m.exec(pods)![1])).toBeGreaterThan(300);
  expect(Number(/^idle\s+(\d+)m/m.exec(pods)![1])).toBeLessThan(20);
  expect(await kubectl('top', 'nodes')).toMatch(/^minion-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/m);
});

it('kubecfg top minions: the minion\'s use and its share of capacity', async () => {
  const out = await eventually(async () => {
    const o = await mustSucceed(kubecfg, 'top', 'minions');
    return /minion-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/.test(o) && o;
  }, 30_000, 'figures for minion-1', 500);
  const [, cpu] = /minion-1\s+(\d+)m/.exec(out)!;
  // At least the busy loop, at most both cores.
  expect(Number(cpu)).toBeGreaterThan(300);
  expect(Number(cpu)).toBeLessThanOrEqual(os.cpus().length * 1050);
});

/** The app container of a pod, as the engine has it now. */
function inspect(podName: string): { HostConfig: { Memory: number; NanoCpus: number }; State: { OOMKilled: boolean } } | undefined {
  const id = execFileSync('docker', ['ps', '-aq', '--filter', `label=coxswain.pod.name=${podName}`, '--filter', 'label=coxswain.container.name=main']).toString().split('\n').filter(Boolean)[0];
  return id ? JSON.parse(execFileSync('docker', ['inspect', id]).toString())[0] : undefined;
}

it('a 200m CPU limit holds a busy loop to about 200m (CFS quota, in docker inspect)', async () => {
  await api.create('pods', pod('capped', 'while :; do :; done', { limits: { cpu: '200m', memory: '64Mi' } }));
  // Two figures a scrape apart: the first may straddle the container's start.
  const stamp = async () => {
    const r = await api.request('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/capped', { allowErrors: true });
    return r.status === 200 ? (r.body as { timestamp: string }).timestamp : undefined;
  };
  const first = await eventually(stamp, 60_000, 'figures for the capped pod', 500);
  await eventually(async () => ((await stamp()) ?? first) !== first, 30_000, 'a newer figure', 500);
  const cpu = Number((await topRows()).get('capped')![0].replace(/m$/, ''));
  console.log(`top: capped pod at ${cpu}m under a 200m limit`);
  // The quota caps it; below the cap only when other work takes the CPU it would get.
  expect(cpu).toBeLessThanOrEqual(220);
  expect(cpu).toBeGreaterThanOrEqual(os.loadavg()[0] < 1.5 ? 180 : 100);
  expect(inspect('capped')!.HostConfig).toMatchObject({ NanoCpus: 200_000_000, Memory: 64 * 2 ** 20 });
});

it('a 16Mi memory limit and a shell taking 64 MiB: OOMKilled on the pod, restarted, an event naming the limit', async () => {
  await api.create('pods', pod('hungry', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); sleep 3600', { limits: { memory: '16Mi' } }));
  const killed = await eventually(async () => {
    const p = await api.get<Pod>('pods', 'hungry');
    const c = p.status?.containerStatuses?.[0];
    const terminated = c?.lastState?.terminated ?? c?.state?.terminated;
    return terminated?.reason === 'OOMKilled' && (c?.restartCount ?? 0) >= 1 && c;
  }, 60_000, 'hungry OOMKilled and restarted', 500);
  expect(killed.restartCount).toBeGreaterThanOrEqual(1);
  const events = await api.list<{ reason: string; message: string; involvedObject: { name: string } }>('events');
  const oom = events.items.filter((e) => e.involvedObject.name === 'hungry' && e.reason === 'OOMKilled');
  expect(oom.length).toBeGreaterThanOrEqual(1);
  expect(oom[0].message).toBe('Container main was killed: out of memory (memory limit 16Mi)');
  expect(inspect('hungry')!.HostConfig.Memory).toBe(16 * 2 ** 20);
  const described = await mustSucceed(kubecfg, 'describe', 'pods', 'hungry');
  expect(described).toMatch(/OOMKilled/);
});

// ---- the autoscaler ---------------------------------------------------------------------------------

/** Each request to /cgi-bin/burn spends CPU in the pod (a shell loop), then answers "ok". */
const BURN_SERVER = String.raw`mkdir -p /www/cgi-bin
cat > /www/cgi-bin/burn <<'SCRIPT'
#!/bin/sh
i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done
printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n'
SCRIPT
chmod +x /www/cgi-bin/burn
exec httpd -f -p 80 -h /www`;

/** GETs `url` from `clients` loops until `stop()` or `maxMs`; counts answers and failures. */
function loadLoop(url: string, clients: number, maxMs: number) {
  const stats = { ok: 0, failed: 0 };
  let stopped = false;
  const deadline = Date.now() + maxMs;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) stats.ok++;
          else stats.failed++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        stats.failed++;
        resolve();
      });
    });
  const loops = Array.from({ length: clients }, async () => {
    while (!stopped && Date.now() < deadline) await one();
  });
  return { stats, stop: async () => { stopped = true; await Promise.all(loops); } };
}

const BURNER_CONTAINER = { name: 'main', image: IMAGES.busybox, command: ['sh', '-c', BURN_SERVER], ports: [{ containerPort: 80 }], resources: { requests: { cpu: '100m' }, limits: { cpu: '500m' } } };

type SuccessfulRescale = { reason: string; message: string; involvedObject: { kind: string; name: string } };

/**
 * `name`'s service answering, then `autoscale()` (a command that makes an HPA of 1..4 at 50% on it),
 * a bounded load loop through the service's portal IP until the target grows, and a wait for it to
 * come back to 1 once the load stops. The figures and the HPA's SuccessfulRescale events.
 */
async function growAndShrink(name: string, autoscale: () => Promise<void>, replicas: () => Promise<number>) {
  const svc = await api.create<Service>('services', { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: { app: name }, ports: [{ port: 80 }] } } as Service);
  const url = `http://${svc.spec.clusterIP}:80/cgi-bin/burn`;
  await eventually(async () => {
    const r = await new Promise<number>((resolve) => http.get(url, { agent: false, timeout: 3000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', () => resolve(0)));
    if (r !== 200) throw new Error(`HTTP ${r}`);
    return true;
  }, 60_000, `${name} answering through its portal IP`, 500);
  await autoscale();

  const load = loadLoop(url, 4, 150_000);
  const started = Date.now();
  let grown: number;
  try {
    grown = await eventually(async () => {
      const n = await replicas();
      return n > 1 && n;
    }, 120_000, `the autoscaler to grow ${name}`, 1000);
  } finally {
    await load.stop();
  }
  const upSeconds = (Date.now() - started) / 1000;
  const stopped = Date.now();
  await eventually(async () => (await replicas()) === 1, 120_000, `${name} back to 1 after the load`, 1000);
  const downSeconds = (Date.now() - stopped) / 1000;
  // The autoscaler records its event after it writes the scale, so the scale-down may be seen first.
  const events = await eventually(async () => {
    const rescales = (await api.list<SuccessfulRescale>('events')).items.filter(
      (e) => e.involvedObject.kind === 'HorizontalPodAutoscaler' && e.involvedObject.name === name && e.reason === 'SuccessfulRescale',
    );
    return rescales.some((e) => /^New size: 1; /.test(e.message)) && rescales;
  }, 30_000, `${name}'s scale-down event`, 500);
  console.log(`autoscaler: ${name} 1 -> ${grown} ${upSeconds.toFixed(1)} s after the load began (${load.stats.ok} answers, ${load.stats.failed} failed); back to 1 ${downSeconds.toFixed(1)} s after it stopped; events: ${events.map((e) => e.message).join(' | ')}`);
  return { grown, upSeconds, events };
}

/** What every grow-and-shrink must show: 1 -> N (N <= 4) within 2 minutes, both changes as events with their figures, the HPA's status. */
async function expectGrewAndShrank(name: string, r: Awaited<ReturnType<typeof growAndShrink>>) {
  expect(r.grown).toBeGreaterThan(1);
  expect(r.grown).toBeLessThanOrEqual(4);
  expect(r.upSeconds).toBeLessThan(120);
  expect(r.events.length).toBeGreaterThanOrEqual(2);
  expect(r.events.some((e) => /^New size: [2-4]; reason: cpu resource utilization \(percentage of request\) above target: \d+% of 50% \(1 pod measured, was 1\)$/.test(e.message))).toBe(true);
  expect(r.events.some((e) => /^New size: 1; reason: cpu resource utilization \(percentage of request\) below target/.test(e.message))).toBe(true);
  const hpa = await api.get<HorizontalPodAutoscaler>('horizontalpodautoscalers', name);
  expect(hpa.status).toMatchObject({ currentReplicas: expect.any(Number), desiredReplicas: 1 });
  expect(hpa.status?.lastScaleTime).toBeDefined();
}

it('the pods of the top and limit tests, deleted, leave the autoscaler tests the CPU they burned', async () => {
  // `busy` alone takes a core: left running it would slow the load loop and every pod start below.
  for (const name of ['busy', 'idle', 'capped', 'hungry']) await api.delete('pods', name);
  const running = () => execFileSync('docker', ['ps', '-q', '--filter', 'label=coxswain.pod.name=busy']).toString().trim();
  await eventually(async () => (await api.list<Pod>('pods', { labelSelector: 'app=top' })).items.length === 0 && running() === '', 60_000, 'the top pods and the busy container gone', 250);
  expect(await api.list<Pod>('pods', { labelSelector: 'app=top' })).toMatchObject({ items: [] });
});

it('kubecfg autoscale: grows an RC 1 -> N under load through its service within 2 minutes, back to 1 after the load stops; every change an event with its figures', async () => {
  await api.create<ReplicationController>('replicationControllers', {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'burner', namespace: 'default' },
    spec: { replicas: 1, selector: { app: 'burner' }, template: { metadata: { labels: { app: 'burner' } }, spec: { containers: [BURNER_CONTAINER] } } },
  } as ReplicationController);
  const r = await growAndShrink(
    'burner',
    async () => expect(await mustSucceed(kubecfg, 'autoscale', 'rc', 'burner', '--min', '1', '--max', '4', '--cpu-percent', '50')).toBe('horizontalpodautoscaler/burner autoscaled\n'),
    async () => (await api.get<ReplicationController>('replicationControllers', 'burner')).spec.replicas,
  );
  await expectGrewAndShrank('burner', r);
  const table = await mustSucceed(kubecfg, 'get', 'hpa');
  expect(table).toMatch(/burner\s+ReplicationController\/burner\s+\S+\/50%\s+1\s+4\s+\d+/);
}, 300_000);

it('stock kubectl autoscale deployment: grows a Deployment 1 -> N under load within 2 minutes and back to 1; every change an event with its figures', async () => {
  await api.create<Deployment>('deployments', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'burner-deploy', namespace: 'default' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'burner-deploy' } }, template: { metadata: { labels: { app: 'burner-deploy' } }, spec: { containers: [BURNER_CONTAINER] } } },
  } as Deployment);
  const kubectl = kubectlRunner(kubeconfigFor(env!.cluster.apiUrl));
  const pods = async () => (await api.list<Pod>('pods', { labelSelector: 'app=burner-deploy' })).items.filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp).length;
  const r = await growAndShrink(
    'burner-deploy',
    async () => expect(await kubectl('autoscale', 'deployment', 'burner-deploy', '--min=1', '--max=4', '--cpu-percent=50')).toBe('horizontalpodautoscaler.autoscaling/burner-deploy autoscaled'),
    async () => (await api.get<Deployment>('deployments', 'burner-deploy')).spec.replicas ?? 0,
  );
  await expectGrewAndShrank('burner-deploy', r);
  // The Deployment carried both changes out: its pods followed the replica count down to one.
  await eventually(async () => (await pods()) === 1, 60_000, 'one burner-deploy pod left', 1000);
  expect(await kubectl('get', 'hpa', 'burner-deploy')).toMatch(/^burner-deploy\s+Deployment\/burner-deploy\s+\S+\/50%\s+1\s+4\s+\d+/m);
}, 300_000);

it('/metrics of every process, parsed as Prometheus text: each has its families, and they move as work is done', async () => {
  // Where `coxswain up` puts them: the API server on its port, the reconcilers on the healthz ports
  // from 18451 in launch order, minion-1's kubelet and proxy on 127.0.1.1:10250 and :10249.
  const targets: Record<string, string> = {
    apiserver: `${env!.cluster.apiUrl}/metrics`,
    scheduler: 'http://127.0.0.1:18451/metrics',
    replication: 'http://127.0.0.1:18452/metrics',
    endpoints: 'http://127.0.0.1:18453/metrics',
    'minion-controller': 'http://127.0.0.1:18454/metrics',
    deployments: 'http://127.0.0.1:18455/metrics',
    kubelet: 'http://127.0.1.1:10250/metrics',
    proxy: 'http://127.0.1.1:10249/metrics',
  };
  const scrapeAll = async () =>
    Object.fromEntries(await Promise.all(Object.entries(targets).map(async ([name, url]) => [name, parsePrometheusText(await (await fetch(url)).text())] as const)));
  const before = await scrapeAll();
  for (const [name, m] of Object.entries(before)) {
    expect([name, m.types.get('process_cpu_seconds_total')]).toEqual([name, 'counter']);
    expect([name, m.types.get('etcd_request_duration_seconds') ?? m.types.get('apiserver_request_total')]).toEqual([name, expect.any(String)]);
  }
  // Work: a pod through the whole path (API -> scheduler -> kubelet), and a service hit through the proxy.
  await api.create('pods', pod('scraped', 'trap "exit 0" TERM; while :; do sleep 1; done'));
  await eventually(async () => (await api.get<Pod>('pods', 'scraped')).status?.phase === 'Running', 60_000, 'scraped Running', 250);
  const after = await scrapeAll();
  const sum = familySum;
  const grew = (name: string, family: string) => sum(after[name]!, family) - sum(before[name]!, family);
  expect(grew('apiserver', 'apiserver_request_total')).toBeGreaterThan(0);
  expect(grew('scheduler', 'scheduler_schedule_attempts_total')).toBeGreaterThanOrEqual(1);
  expect(grew('scheduler', 'workqueue_adds_total')).toBeGreaterThanOrEqual(1);
  expect(grew('kubelet', 'kubelet_pod_start_duration_seconds_count')).toBe(1);
  expect(grew('kubelet', 'etcd_request_duration_seconds_count')).toBeGreaterThan(0);
  expect(sum(after.replication!, 'workqueue_adds_total')).toBeGreaterThan(0);
  expect(sum(after.endpoints!, 'workqueue_adds_total')).toBeGreaterThan(0);
  expect(sum(after.proxy!, 'coxswain_proxy_connections_total')).toBeGreaterThan(0); // the autoscale test's load went through it
  await api.delete('pods', 'scraped');
});

