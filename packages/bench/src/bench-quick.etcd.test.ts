// `npm run bench -- --quick` once, as a user runs it (the built runner, every scenario, its own
// process), so the benchmark keeps working: the scale scenario must bring every pod to Running on
// its hollow minions, measure every figure, and leave its JSON and chart behind. Goals are not
// asserted (CI machines vary); that the numbers exist and are sane is.
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '../../..');

// Every scenario's quick run: about 2.5 min alone on 2 cores since the watch-cache and list-latency
// scenarios joined (~1 min of it theirs); the limits leave room for a busy machine.
jest.setTimeout(320_000);

describe('npm run bench -- --quick', () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coxswain-bench-'));
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('runs every scenario and writes the scale results, table and chart', async () => {
    // Bring dist up to date with these sources (incremental: seconds when nothing changed).
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'packages/bench'], { cwd: root, stdio: 'inherit' });
    const printed = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['packages/bench/dist/main.js', '--quick', '--out', outDir],
        { cwd: root, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)),
      );
    });
    for (const scenario of ['store', 'proxy', 'scale', 'scrape-cost', 'kubelet-cost']) expect(printed).toContain(`=== bench: ${scenario} ===`);
    expect(printed).toContain('| section | figure | measured | against | ratio | goal | met |');
    // The hollow kubelets alone brought every pod to Running (the scenario waits for all of them).
    expect(printed).toMatch(/kubelet-cost: \d+ idle minions [\d.,]+ millicores .*; \d+ pods Running in [\d.,]+ s/);

    const files = fs.readdirSync(outDir);
    const json = files.find((f) => f.endsWith('-quick.json'));
    const svg = files.find((f) => f.endsWith('-running.svg'));
    expect(json && svg).toBeTruthy();
    const r = JSON.parse(fs.readFileSync(path.join(outDir, json!), 'utf8'));
    const pods = r.config.minions * r.config.podsPerMinion;
    expect(r.density.allRunning).toBe(true);
    expect(r.density.counts).toEqual({ created: pods, scheduled: pods, running: pods });
    expect(r.density.boundKeys).toBeGreaterThanOrEqual(pods);
    expect(r.density.etcd.writesPerPod).toBeGreaterThan(2); // a create, a bind and a status write at least
    expect(r.density.startup.total.p99).toBeGreaterThan(0);
    expect(r.density.latencyPods.running).toBe(r.config.latencyPods);
    expect(r.density.latencyPods.total.p99).toBeGreaterThan(0);
    expect(r.scheduler.bound).toBe(r.config.schedulerPods);
    expect(r.limit.cas64.perSecond).toBeGreaterThan(0);
    expect(r.api.listAll.items).toBeGreaterThanOrEqual(pods);
    expect(r.api.listSelector.items).toBe(r.config.replicasPerController);
    expect(r.api.watch.count).toBeGreaterThan(0);
    expect(r.api.watch.missed).toBe(0);
    expect(r.api.consistentReads.cache).toBeGreaterThan(0); // the LISTs of all pods, from the watch cache
    for (const op of ['get', 'post', 'put', 'delete']) expect(r.api[op].count).toBe(r.config.apiSamples);
    // On the quick cluster no call may fail (the phase counts failures instead of ending the run).
    for (const op of ['get', 'listAll', 'rawRangeDecode', 'listSelector', 'post', 'put', 'delete']) expect({ op, failed: r.api[op].failed }).toEqual({ op, failed: 0 });
    for (const proc of ['etcd', 'apiserver', 'scheduler', 'replication', `hollow x${r.config.minions}`]) {
      expect(r.cost[proc].cpuSeconds).toBeGreaterThan(0);
      expect(r.cost[proc].peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    }
    expect(r.etcdDatabase.keys).toBeGreaterThan(pods);
    expect(r.etcdDatabase.dbSizeInUseBytes).toBeGreaterThan(0);
    expect(r.etcdDatabase.dbSizeBytes).toBeGreaterThanOrEqual(r.etcdDatabase.dbSizeInUseBytes);
    for (const f of r.figures) expect(Number.isFinite(f.value)).toBe(true);
    const chart = fs.readFileSync(path.join(outDir, svg!), 'utf8');
    expect(chart.match(/<polyline /g)).toHaveLength(3);
  });
});
