// The web console on a real cluster: `coxswain up` (2 minions on the memory runtime: real kubelets,
// scheduler and replication manager, no containers), Chromium on /ui, kubecfg driving the cluster.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ARTIFACTS_DIR, eventually, openBrowser, type Browser } from '@coxswain/testing';
import { buildCoxswain, COXSWAIN_MAIN, ROOT } from './support/coxswain-binary';
import { kubecfgFor, mustSucceed, type Kubecfg } from './support/kubecfg';
import { lockLocalMinions } from './support/local-minions-lock';
import { processesNaming } from './support/process-leftovers';

jest.setTimeout(240_000);

const API_PORT = 18680;
const ETCD_PORT = 12879;
const HEALTHZ_PORT = 18651;

let tmp: string;
let up: ChildProcess | undefined;
let unlock: (() => void) | undefined;
let browser: Browser;
let kubecfg: Kubecfg;

const RC = {
  kind: 'ReplicationController',
  apiVersion: 'v1beta1',
  id: 'web',
  desiredState: {
    replicas: 3,
    replicaSelector: { name: 'web' },
    podTemplate: { desiredState: { manifest: { version: 'v1beta1', id: 'web', containers: [{ name: 'web', image: 'busybox' }] } }, labels: { name: 'web' } },
  },
  labels: { name: 'web' },
};

beforeAll(async () => {
  await buildCoxswain();
  unlock = await lockLocalMinions();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'coxswain-console-e2e-'));
  const env: NodeJS.ProcessEnv = { ...process.env, COXSWAIN_CONFIG: path.join(tmp, 'config.json') };
  delete env.JEST_WORKER_ID;
  const args = ['up', '--minions', '2', '--runtime', 'memory', '--port', String(API_PORT), '--etcd-port', String(ETCD_PORT), '--healthz-port', String(HEALTHZ_PORT), '--data-dir', path.join(tmp, 'data')];
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
});

const podsOnPage = () => browser.page.$$eval('.minion [data-pod]', (els) => els.map((e) => e.getAttribute('data-pod')!).sort());
const apiPods = async () =>
  ((await (await fetch(`http://127.0.0.1:${API_PORT}/api/v1/pods`)).json()) as { items: Array<{ metadata: { name: string } }> }).items.map((p) => p.metadata.name).sort();

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
