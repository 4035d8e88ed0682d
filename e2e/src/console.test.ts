// The web console on a real cluster: `coxswain up --minions 2` on the real Docker engine (every
// component a child process, pods real containers), Chromium on /ui, kubecfg and the API driving the
// cluster: pods following a resize and a delete, a Deployment's rollout bar moving to done, a
// service's lines to its pods, a pod's log, and the API server killed and back.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ARTIFACTS_DIR, eventually, openBrowser, type Browser } from '@coxswain/testing';
import { minionLayout } from '@coxswain/coxswain';
import { buildCoxswain, COXSWAIN_MAIN, ROOT } from './support/coxswain-binary';
import { ensureImages, IMAGES } from './support/images';
import { listMinionLeftovers, refuseMinionLeftovers } from './support/cluster-teardown';
import { kubecfgFor, mustSucceed, type Kubecfg } from './support/kubecfg';
import { lockLocalMinions } from './support/local-minions-lock';
import { processesNaming } from './support/process-leftovers';

jest.setTimeout(240_000);

const MINIONS = [1, 2].map((i) => minionLayout(i).name);
const API_PORT = 18680;
const ETCD_PORT = 12879;
const HEALTHZ_PORT = 18651;

let tmp: string;
let up: ChildProcess | undefined;
let unlock: (() => void) | undefined;
let browser: Browser;
let kubecfg: Kubecfg;

// Each container says hello on its log, then waits; as PID 1 it must end on SIGTERM itself.
const HELLO = ['sh', '-c', 'echo "hello from $HOSTNAME"; trap "exit 0" TERM; while true; do sleep 1; done'];

const RC = {
  kind: 'ReplicationController',
  apiVersion: 'v1beta1',
  id: 'web',
  desiredState: {
    replicas: 3,
    replicaSelector: { name: 'web' },
    podTemplate: { desiredState: { manifest: { version: 'v1beta1', id: 'web', containers: [{ name: 'web', image: IMAGES.busybox, command: HELLO }] } }, labels: { name: 'web' } },
  },
  labels: { name: 'web' },
};

const deployment = (version: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'front', namespace: 'default' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'front' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    template: {
      metadata: { labels: { app: 'front' } },
      spec: { containers: [{ name: 'front', image: IMAGES.busybox, command: HELLO, env: [{ name: 'VERSION', value: version }] }] },
    },
  },
});

beforeAll(async () => {
  await Promise.all([buildCoxswain(), ensureImages()]);
  unlock = await lockLocalMinions();
  await refuseMinionLeftovers(MINIONS);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'coxswain-console-e2e-'));
  const env: NodeJS.ProcessEnv = { ...process.env, COXSWAIN_CONFIG: path.join(tmp, 'config.json') };
  delete env.JEST_WORKER_ID;
  const args = ['up', '--minions', '2', '--runtime', 'docker', '--port', String(API_PORT), '--etcd-port', String(ETCD_PORT), '--healthz-port', String(HEALTHZ_PORT), '--data-dir', path.join(tmp, 'data')];
  up = spawn(process.execPath, [COXSWAIN_MAIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const read = (b: Buffer) => {
      output += b.toString();
      if (output.includes('Coxswain is up')) resolve();
    };
    up!.stdout!.on('data', read);
    up!.stderr!.on('data', read);
    up!.once('exit', (code) => reject(new Error(`coxswain up exited (${code}):\n${output}`)));
  });
  kubecfg = kubecfgFor(path.join(tmp, 'config.json'), tmp);
  writeFileSync(path.join(tmp, 'web.json'), JSON.stringify(RC));
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  if (up && up.exitCode === null) {
    const exited = new Promise((r) => up!.once('exit', r));
    await new Promise((r) => execFile(process.execPath, [COXSWAIN_MAIN, 'down', '--data-dir', path.join(tmp, 'data')], { cwd: ROOT, timeout: 120_000 }, r));
    await exited;
  }
  unlock?.();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  // `coxswain down` removes the minions' containers and networks.
  expect(await listMinionLeftovers(MINIONS)).toEqual({ containers: [], networks: [] });
});

const podsOnPage = () => browser.page.$$eval('.minion [data-pod]', (els) => els.map((e) => e.getAttribute('data-pod')!).sort());
const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
  const res = await fetch(`http://127.0.0.1:${API_PORT}${path}`, { ...init, headers: { 'Content-Type': 'application/json', ...init?.headers } });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
type Named = { metadata: { name: string; labels?: Record<string, string> }; status?: { phase?: string } };
const apiPods = async () => (await api<{ items: Named[] }>('/api/v1/pods')).items.map((p) => p.metadata.name).sort();

it('shows the minions and the pods, follows kubecfg resize 3 -> 5, a deleted pod and an API server restart, with no error in the console', async () => {
  await mustSucceed(kubecfg, '-c', 'web.json', 'create', 'replicationControllers');
  await browser.page.goto(`http://127.0.0.1:${API_PORT}/ui`);
  await eventually(async () => (await browser.page.$$('.minion.ready')).length === 2, 30_000, 'two Ready minions');
  await eventually(async () => (await podsOnPage()).length === 3, 30_000, 'three pods');

  const resized = Date.now();
  await mustSucceed(kubecfg, 'resize', 'web', '5');
  await eventually(async () => (await podsOnPage()).length === 5, 10_000, 'five pods');
  console.log(`console e2e: 5 pods on the page ${Date.now() - resized} ms after kubecfg resize returned`);
  // The controller's bar (ready / desired; RC progress until Deployments land) moves to done.
  const bar = () => browser.page.$eval('[data-controller=web] [data-testid=progress]', (e) => (e as unknown as { style: { width: string } }).style.width);
  await eventually(async () => (await browser.page.textContent('[data-controller=web] [data-testid=replicas]')) === '5 desired · 5 current · 5 ready', 10_000, '5 ready');
  await eventually(async () => (await bar()) === '100%', 5000, 'the bar at 100%');

  const victim = (await podsOnPage())[0]!;
  await mustSucceed(kubecfg, 'delete', `pods/${victim}`);
  await eventually(async () => !(await podsOnPage()).includes(victim), 10_000, `${victim} gone`);
  await eventually(async () => (await podsOnPage()).join() === (await apiPods()).join(), 10_000, 'the page equal to the API');
  expect(browser.errors).toEqual([]);

  // The API server killed: the page says it is stale; up's supervisor restarts it; a resize made once
  // it answers again reaches the page, which ends equal to the API's state.
  const apiserver = processesNaming([`--port ${API_PORT}`]).find((line) => line.includes('apiserver'));
  expect(apiserver).toBeDefined();
  process.kill(Number(apiserver!.split(':')[0]), 'SIGKILL');
  await eventually(async () => (await browser.page.$('[data-testid=stale]')) !== null, 10_000, 'the stale banner');
  await eventually(async () => (await kubecfg('resize', 'web', '4')).code === 0, 60_000, 'the API server back and the resize to 4 done');
  await eventually(async () => (await browser.page.$('[data-testid=stale]')) === null, 30_000, 'the banner gone');
  await eventually(async () => (await apiPods()).length === 4 && (await podsOnPage()).join() === (await apiPods()).join(), 30_000, 'the page equal to the API');
  // While the server was down the browser reported the refused connections; nothing else.
  expect(browser.errors.filter((e) => !/ERR_CONNECTION_REFUSED|WebSocket connection to .* failed/.test(e))).toEqual([]);
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await browser.page.screenshot({ path: path.join(ARTIFACTS_DIR, 'console-e2e.png'), fullPage: true });
});

it('shows a Deployment\'s rollout bar move to done, a service\'s lines to its pods, and a pod\'s log', async () => {
  const errorsBefore = browser.errors.length;
  await api('/apis/apps/v1/namespaces/default/deployments', { method: 'POST', body: JSON.stringify(deployment('v1')) });
  const bar = '[data-controller=front] [data-testid=progress]';
  const replicas = '[data-controller=front] [data-testid=replicas]';
  await eventually(async () => (await browser.page.textContent(replicas).catch(() => '')) === '2 desired · 2 current · 2 ready', 60_000, 'front: 2 ready');

  // Every width the bar takes from here on, recorded in the page as it changes.
  await browser.page.evaluate(`(() => {
    const el = document.querySelector('${bar}');
    window.barWidths = [el.style.width];
    new MutationObserver(() => window.barWidths.push(el.style.width)).observe(el, { attributes: true });
  })()`);
  const started = Date.now();
  const patched = await api<{ metadata: { generation: number } }>('/apis/apps/v1/namespaces/default/deployments/front', { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'front', image: IMAGES.busybox, command: HELLO, env: [{ name: 'VERSION', value: 'v2' }] }] } } } }) });
  await eventually(async () => {
    const d = await api<{ status?: { observedGeneration?: number; updatedReplicas?: number; readyReplicas?: number; replicas?: number } }>('/apis/apps/v1/namespaces/default/deployments/front');
    // The status of the new template, not the old one's (done before the controller saw the change).
    return (d.status?.observedGeneration ?? 0) >= patched.metadata.generation && d.status?.updatedReplicas === 2 && d.status.readyReplicas === 2 && d.status.replicas === 2;
  }, 60_000, 'the rollout done in the API');
  await eventually(async () => (await browser.page.$eval(bar, (e) => (e as unknown as { style: { width: string } }).style.width)) === '100%', 5000, 'the bar at 100%');
  const widths = (await browser.page.evaluate('window.barWidths')) as string[];
  console.log(`console e2e: the rollout bar went ${widths.join(' -> ')} in ${Date.now() - started} ms`);
  // It left 100% when the new template came in and came back through a partial width.
  expect(widths[0]).toBe('100%');
  expect(widths.some((w) => w !== '100%' && w !== '0%')).toBe(true);
  expect(widths[widths.length - 1]).toBe('100%');

  // A service in front of the RC's pods: its portal IP on the page, and a line to each endpoint pod.
  const svc = await api<{ spec: { clusterIP: string } }>('/api/v1/namespaces/default/services', {
    method: 'POST',
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { name: 'web' }, ports: [{ port: 80 }] } }),
  });
  const webPods = (await api<{ items: Named[] }>('/api/v1/pods?labelSelector=name%3Dweb')).items.map((p) => p.metadata.name).sort();
  await eventually(async () => (await browser.page.textContent('[data-service=web] [data-testid=portal]').catch(() => '')) === `${svc.spec.clusterIP}:80`, 10_000, 'the portal IP on the page');
  await eventually(async () => (await browser.page.$$('[data-service=web] li')).length === webPods.length, 30_000, `${webPods.length} endpoints listed`);
  await browser.page.click('[data-service=web]');
  const linesTo = () => browser.page.$$eval('[data-testid=service-lines] line', (ls) => ls.map((l) => l.getAttribute('data-line-to')!).sort());
  await eventually(async () => (await linesTo()).join() === webPods.join(), 5000, `lines to ${webPods.join(', ')}`);

  // A pod's panel follows its log (the container's hello, from Docker through the kubelet and the API).
  const [first] = webPods;
  await browser.page.click(`.minion [data-pod="${first}"]`);
  await eventually(async () => (await browser.page.textContent('.pod-panel .log'))?.includes(`hello from ${first}`), 10_000, `${first}'s log in its panel`);
  expect(browser.errors.slice(errorsBefore)).toEqual([]);
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await browser.page.screenshot({ path: path.join(ARTIFACTS_DIR, 'console-e2e-lines.png'), fullPage: true });
});
