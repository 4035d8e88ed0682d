// The console in Debian's Chromium against a real API server (on an in-memory registry, so the test
// needs neither etcd nor Docker): what a person opening /ui sees, as the cluster changes under it.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CODECS, createApiServer, type ApiServer } from '@coxswain/api';
import type { Endpoints, Minion, Pod, ReplicationController, Service } from '@coxswain/objects';
import type { Registry } from '@coxswain/registry';
import { ARTIFACTS_DIR, eventually, memoryRegistry, openBrowser, type Browser } from '@coxswain/testing';
import { CONSOLE_ASSETS_DIR } from './index';


jest.setTimeout(60_000);

const minion = (name: string): Minion => ({
  apiVersion: 'v1',
  kind: 'Minion',
  metadata: { name },
  status: { capacity: { cpu: '2', memory: '4Gi', pods: '40' }, conditions: [{ type: 'Ready', status: 'True' }] },
} as Minion);

async function runningPod(r: Registry, name: string, nodeName: string, labels = { app: 'web' }): Promise<void> {
  const p = await r.create<Pod>({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { nodeName, containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
  });
  await r.updateStatus<Pod>({ ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } } as Pod);
}

/** The pods the page draws, by name. */
const podsOnPage = (b: Browser) => b.page.$$eval('.minion [data-pod]', (els) => els.map((e) => e.getAttribute('data-pod')!).sort());

/** Console errors that are the browser's report of the API server being down, not the page's own. */
const isConnectionRefused = (line: string) => /ERR_CONNECTION_REFUSED|WebSocket connection to .* failed/.test(line);

describe('the console at /ui', () => {
  let registry: Registry;
  let server: ApiServer;
  let browser: Browser;
  let port: number;

  const startServer = async (tokenFile?: string) => {
    server = createApiServer({ store: registry, codecs: CODECS, port, tokenFile, consoleDir: CONSOLE_ASSETS_DIR, heartbeatMs: 500 });
    await server.listen();
    port = Number(new URL(server.url).port);
  };

  beforeEach(async () => {
    registry = memoryRegistry();
    port = 0;
    browser = await openBrowser();
  });
  afterEach(async () => {
    await browser.close();
    await server.close();
    await registry.close();
  });

  it('shows the minions and their pods, follows new and deleted pods, and resumes after the API server restarts', async () => {
    await registry.create(minion('127.0.1.1'));
    await registry.create(minion('127.0.1.2'));
    for (const [i, m] of ['127.0.1.1', '127.0.1.2', '127.0.1.1'].entries()) await runningPod(registry, `web-${i}`, m);
    await startServer();

    await browser.page.goto(`${server.url}/ui`);
    await eventually(async () => (await browser.page.$$('.minion.ready')).length === 2, 10_000, 'two Ready minions');
    await eventually(async () => (await podsOnPage(browser)).join() === 'web-0,web-1,web-2', 10_000, 'three pods');

    // Two more pods: on the page without a reload.
    const added = Date.now();
    await runningPod(registry, 'web-3', '127.0.1.2');
    await runningPod(registry, 'web-4', '127.0.1.2');
    await eventually(async () => (await podsOnPage(browser)).length === 5, 5000, 'five pods');
    const latencyMs = Date.now() - added;
    console.log(`console: 2 new pods on the page ${latencyMs} ms after their writes`);

    await registry.delete('pods', 'default', 'web-0');
    await eventually(async () => !(await podsOnPage(browser)).includes('web-0'), 5000, 'web-0 gone');
    expect(browser.errors).toEqual([]);

    // The API server goes away: the page says it is stale; changes made meanwhile show once it is back.
    await server.close();
    await eventually(async () => (await browser.page.$('[data-testid=stale]')) !== null, 10_000, 'the stale banner');
    await registry.delete('pods', 'default', 'web-1');
    await runningPod(registry, 'web-5', '127.0.1.1');
    await startServer();
    const apiPods = async () => (await registry.list<Pod>('pods', {})).items.map((p) => p.metadata.name).sort();
    await eventually(async () => (await podsOnPage(browser)).join() === (await apiPods()).join(), 10_000, 'the page equal to the API');
    await eventually(async () => (await browser.page.$('[data-testid=stale]')) === null, 10_000, 'the banner gone');
    expect(await podsOnPage(browser)).toEqual(['web-2', 'web-3', 'web-4', 'web-5']);
    expect(browser.errors.filter((e) => !isConnectionRefused(e))).toEqual([]);

    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await browser.page.screenshot({ path: join(ARTIFACTS_DIR, 'console-map.png'), fullPage: true });
  });

  it('a selector with a syntax error: the server\'s message, the view and the URL unchanged', async () => {
    await registry.create(minion('127.0.1.1'));
    await runningPod(registry, 'web-0', '127.0.1.1');
    await runningPod(registry, 'db-0', '127.0.1.1', { app: 'db' });
    await startServer();
    await browser.page.goto(`${server.url}/ui?selector=app%3Dweb`);
    await eventually(async () => (await podsOnPage(browser)).join() === 'web-0', 10_000, 'the filtered view');

    await browser.page.fill('input[name=selector]', 'app in (web');
    await browser.page.click('form.filter button');
    const message = await eventually(async () => browser.page.$eval('[data-testid=filter-error]', (e) => e.textContent).catch(() => undefined), 5000, 'the message');
    expect(message).toMatch(/selector/i);
    expect(await podsOnPage(browser)).toEqual(['web-0']);
    expect(new URL(browser.page.url()).search).toBe('?selector=app%3Dweb');

    // A good one is applied and lands in the URL.
    await browser.page.fill('input[name=selector]', 'app=db');
    await browser.page.click('form.filter button');
    await eventually(async () => (await podsOnPage(browser)).join() === 'db-0', 5000, 'db-0 alone');
    expect(new URL(browser.page.url()).search).toBe('?selector=app%3Ddb');
    expect(browser.errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });

  it('scales a controller and deletes a pod through the API, each after a confirmation; a refusal shows the API\'s message', async () => {
    await registry.create(minion('127.0.1.1'));
    await runningPod(registry, 'web-0', '127.0.1.1');
    await registry.create<ReplicationController>({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 3, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } } },
    });
    await startServer();
    await browser.page.goto(`${server.url}/ui`);
    await browser.page.waitForSelector('[data-controller=web]');

    const dialogs: string[] = [];
    let answer = '5';
    browser.page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void (d.type() === 'prompt' ? d.accept(answer) : d.type() === 'confirm' ? d.accept() : d.dismiss());
    });
    await browser.page.click('[data-controller=web] button');
    await eventually(async () => (await registry.get<ReplicationController>('replicationControllers', 'default', 'web')).spec.replicas === 5, 5000, 'replicas 5');
    await eventually(async () => (await browser.page.textContent('[data-controller=web] [data-testid=replicas]'))?.startsWith('5 desired'), 5000, '5 desired on the page');
    expect(dialogs).toEqual(['prompt: Scale default/web to how many replicas?', 'confirm: Scale web from 3 to 5?']);

    // The page leaves the rule to the API: a negative count is refused there, and the person reads why.
    answer = '-1';
    dialogs.length = 0;
    await browser.page.click('[data-controller=web] button');
    const refusal = await eventually(() => dialogs.find((d) => d.startsWith('alert: The API refused:')), 5000, 'the refusal');
    expect(refusal).toMatch(/replicas/);
    expect((await registry.get<ReplicationController>('replicationControllers', 'default', 'web')).spec.replicas).toBe(5);

    dialogs.length = 0;
    await browser.page.click('.minion [data-pod=web-0]');
    await browser.page.click('.pod-panel button.danger');
    await eventually(async () => (await podsOnPage(browser)).length === 0, 5000, 'web-0 gone');
    expect(dialogs).toEqual(['confirm: Delete pod default/web-0?']);
  });

  it('a service picked in the list: a line from it to each of its pods on the map, and none to other pods', async () => {
    await registry.create(minion('127.0.1.1'));
    await registry.create(minion('127.0.1.2'));
    for (const [i, m] of ['127.0.1.1', '127.0.1.2'].entries()) await runningPod(registry, `web-${i}`, m);
    await runningPod(registry, 'db-0', '127.0.1.2', { app: 'db' });
    await registry.create<Service>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } as Service);
    await registry.create<Endpoints>({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'default' },
      subsets: [{ addresses: ['web-0', 'web-1'].map((name, i) => ({ ip: `172.30.${i + 1}.2`, targetRef: { kind: 'Pod', name, namespace: 'default' } })), ports: [{ port: 80 }] }],
    } as Endpoints);
    await startServer();
    await browser.page.goto(`${server.url}/ui`);
    await eventually(async () => (await browser.page.$$('[data-service=web] li')).length === 2, 10_000, 'two endpoints listed');
    await eventually(async () => (await podsOnPage(browser)).length === 3, 10_000, 'three pods');

    await browser.page.click('[data-service=web]');
    const lines = () =>
      browser.page.$$eval('[data-testid=service-lines] line', (ls) =>
        ls.map((l) => ({ to: l.getAttribute('data-line-to')!, x: Number(l.getAttribute('x2')), y: Number(l.getAttribute('y2')), length: l.getBoundingClientRect().width + l.getBoundingClientRect().height })),
      );
    const drawn = await eventually(async () => {
      const ls = await lines();
      return ls.length === 2 && ls;
    }, 5000, 'two lines');
    // Each line is drawn and ends inside its own pod's square, where the page shows it now.
    const squares = await browser.page.$$eval('.minion [data-pod]', (els) => els.map((e) => ({ pod: e.getAttribute('data-pod')!, r: e.getBoundingClientRect().toJSON() as { left: number; right: number; top: number; bottom: number } })));
    const endsOn = (l: { to: string; x: number; y: number }) => squares.find((sq) => l.x >= sq.r.left && l.x <= sq.r.right && l.y >= sq.r.top && l.y <= sq.r.bottom)?.pod;
    expect(drawn.map((l) => ({ to: l.to, endsOn: endsOn(l), visible: l.length > 0 })).sort((a, b) => a.to.localeCompare(b.to))).toEqual([
      { to: 'web-0', endsOn: 'web-0', visible: true },
      { to: 'web-1', endsOn: 'web-1', visible: true },
    ]);
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await browser.page.screenshot({ path: join(ARTIFACTS_DIR, 'console-service-lines.png') });
    // Picked again: the lines go.
    await browser.page.click('[data-service=web]');
    await eventually(async () => (await browser.page.$('[data-testid=service-lines]')) === null, 5000, 'no lines');
    expect(browser.errors).toEqual([]);
  });

  it('with a token file: the page asks for a token, the API refuses a watch without one, and the token opens the map', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coxswain-console-'));
    writeFileSync(join(dir, 'tokens'), 'sesame,alice\n');
    await registry.create(minion('127.0.1.1'));
    await startServer(join(dir, 'tokens'));

    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/watch/pods`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(refused).toBe(401);

    await browser.page.goto(`${server.url}/ui`);
    await browser.page.waitForSelector('form.token');
    await browser.page.fill('input[name=token]', 'wrong');
    await browser.page.click('form.token button');
    await eventually(async () => (await browser.page.textContent('form.token [role=alert]').catch(() => ''))?.includes('invalid bearer token'), 5000, 'the refusal');
    await browser.page.fill('input[name=token]', 'sesame');
    await browser.page.click('form.token button');
    await eventually(async () => (await browser.page.$$('.minion.ready')).length === 1, 10_000, 'the minion');
    expect(await browser.page.evaluate('sessionStorage.getItem("coxswain.token")')).toBe('sesame');
    expect(browser.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
