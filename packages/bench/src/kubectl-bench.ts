// `npm run bench -- kubectl [--pods N]`: what kubectl's `get pods` costs over a plain LIST, at 20,000
// Running pods in the API server's in-memory registry (the figure is the API's and kubectl's, not
// etcd's). In one run, alternating, the median of 5 each, two figures with the goal of 1.5x:
//  - the server: one HTTP GET of all pods as a meta.k8s.io Table against the plain LIST;
//  - kubectl: `kubectl get pods -A` (the Table, printed) against `kubectl get pods -A -o json` (the
//    plain LIST, decoded and printed by the same client). `kubectl get --raw` is printed beside: it
//    only copies bytes, so it shows what kubectl's own decoding and printing cost.
// kubectl reads a list in chunks of 500 (limit/continue) by default, and its client-side rate limit
// (5 requests/s after a burst of 10) then sets the pace of 40 chunks; the bench asks for the whole
// list at once (--chunk-size=0) so that the figures are the server's and the printing's.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CODECS, createApiServer } from '@coxswain/api';
import type { Pod } from '@coxswain/objects';
import { memoryRegistry } from '@coxswain/testing';
import { FigureTable } from './figure-table';
import { countFlag } from './count-flag';
import { createInBatches } from './create-in-batches';

const run = promisify(execFile);
const TABLE_RATIO_GOAL = 1.5;
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function kubectlBench(argv: string[]): Promise<void> {
  const pods = countFlag(argv, '--pods', argv.includes('--quick') ? 2000 : 20_000);
  const rounds = 5;
  const registry = memoryRegistry();
  await createInBatches(
    registry,
    pods,
    (i): Pod =>
      ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `hollow-${i}`, namespace: `ns-${i % 20}`, labels: { app: `app-${i % 50}` } },
        spec: { nodeName: `minion-${i % 200}`, containers: [{ name: 'main', image: 'busybox' }] },
        status: { phase: 'Running', podIP: `172.30.${i % 200}.${2 + (i % 250)}`, containerStatuses: [{ name: 'main', ready: true, restartCount: 0, image: 'busybox', state: { running: {} } }] },
      }) as Pod,
  );
  const server = createApiServer({ store: registry, codecs: CODECS, port: 0 });
  await server.listen();
  const dir = mkdtempSync(join(tmpdir(), 'kubectl-bench-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server.url}"}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {}}]\ncurrent-context: c\n`);
  const kubectl = (...args: string[]) => run('kubectl', ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 1 << 30, encoding: 'utf8' });
  try {
    // Warm-up: discovery cached, the server's code paths compiled.
    const first = await kubectl('get', 'pods', '-A', '--chunk-size=0');
    const lines = first.stdout.split('\n').filter(Boolean).length;
    if (lines !== pods + 1) throw new Error(`kubectl get pods -A printed ${lines} lines for ${pods} pods: ${first.stderr.slice(0, 500)}`);
    await kubectl('get', '--raw', '/api/v1/pods');
    const table: number[] = [];
    const plain: number[] = [];
    const raw: number[] = [];
    const httpTable: number[] = [];
    const httpPlain: number[] = [];
    for (let i = 0; i < rounds; i++) {
      table.push(await timed(() => kubectl('get', 'pods', '-A', '--chunk-size=0')));
      plain.push(await timed(() => kubectl('get', 'pods', '-A', '--chunk-size=0', '-o', 'json')));
      raw.push(await timed(() => kubectl('get', '--raw', '/api/v1/pods')));
      httpTable.push(await timed(async () => (await fetch(`${server.url}/api/v1/pods`, { headers: { Accept: TABLE_ACCEPT } })).text()));
      httpPlain.push(await timed(async () => (await fetch(`${server.url}/api/v1/pods`)).text()));
    }
    const f = new FigureTable();
    f.atMost('kubectl', `API server: GET of ${pods} pods as a Table, median`, median(httpTable), 'ms', TABLE_RATIO_GOAL * median(httpPlain), {
      label: `${TABLE_RATIO_GOAL} x the plain LIST GET ${median(httpPlain).toFixed(0)} ms`,
      value: TABLE_RATIO_GOAL * median(httpPlain),
    });
    f.atMost('kubectl', `kubectl get pods -A --chunk-size=0 (Table, ${pods} pods) median`, median(table), 'ms', TABLE_RATIO_GOAL * median(plain), {
      label: `${TABLE_RATIO_GOAL} x the same with -o json (plain LIST) ${median(plain).toFixed(0)} ms`,
      value: TABLE_RATIO_GOAL * median(plain),
    });
    f.add({ section: 'kubectl', name: 'kubectl get --raw /api/v1/pods (bytes copied, no decoding) median', value: median(raw), unit: 'ms' });
    console.log(f.markdown());
    console.log(
      `kubectl: API Table GET ${median(httpTable).toFixed(0)} ms vs plain LIST ${median(httpPlain).toFixed(0)} ms (ratio ${(median(httpTable) / median(httpPlain)).toFixed(2)}, goal <= ${TABLE_RATIO_GOAL}); ` +
        `kubectl get pods -A ${median(table).toFixed(0)} ms vs -o json ${median(plain).toFixed(0)} ms (ratio ${(median(table) / median(plain)).toFixed(2)}); get --raw ${median(raw).toFixed(0)} ms`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.close();
    await registry.close();
  }
}
