// `npm run bench -- store`: what the store costs over etcd itself. In one run, on one etcd started
// for the purpose, at the same concurrency and count:
//  - raw: etcd3 txns as the store's create sends them (compare create_revision == 0, put a JSON
//    pod of the same size, serialized per call) — the ceiling;
//  - store: Registry.create of pods on EtcdStorage (the kind's rules, validation, encoding, the same txn).
// Raw and store runs alternate (raw, store, raw, store, ...) and the medians are compared: goal >= 0.8.
import { CompareResult, CompareTarget } from 'etcd3';
import { EtcdStorage } from '@coxswain/store';
import { Registry, REGISTRY_MIRRORS } from '@coxswain/registry';
import { startEtcd } from '@coxswain/testing';
import type { Pod } from '@coxswain/objects';

export interface StoreBenchOptions {
  /** Creates per measured run. */
  count?: number;
  /** Requests in flight. */
  concurrency?: number;
  /** Measured runs of each kind (alternating). */
  rounds?: number;
  out?: (line: string) => void;
}

export interface StoreBenchResult {
  count: number;
  concurrency: number;
  rawPerSec: number;
  storePerSec: number;
  ratio: number;
  goalMet: boolean;
}

export const STORE_RATIO_GOAL = 0.8;

function benchPod(name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'bench', labels: { app: 'frontend', tier: 'web', bench: 'store' } },
    spec: {
      containers: [
        {
          name: 'php-redis',
          image: 'brendanburns/php-redis',
          ports: [{ containerPort: 80, hostPort: 8000, protocol: 'TCP' }],
          env: [{ name: 'GET_HOSTS_FROM', value: 'env' }],
          resources: { requests: { cpu: '100m', memory: '64Mi' } },
        },
      ],
      restartPolicy: 'Always',
    },
  };
}

/** Runs `count` operations with `concurrency` in flight; returns ops per second. */
async function measure(count: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await op(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return count / seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runStoreBench(opts: StoreBenchOptions = {}): Promise<StoreBenchResult> {
  const count = opts.count ?? 10_000;
  const concurrency = opts.concurrency ?? 64;
  const rounds = opts.rounds ?? 3;
  const out = opts.out ?? ((line: string) => console.log(line));
  const etcd = await startEtcd();
  try {
    const client = etcd.client();
    const store = new Registry(new EtcdStorage(client, { mirrors: REGISTRY_MIRRORS }));
    // What the store would write for a pod: the same fields, so the raw value has the same size.
    const stored = (name: string) => ({
      ...benchPod(name),
      metadata: {
        ...benchPod(name).metadata,
        uid: '6f1c6c2e-2f8a-4b8e-9c41-3a0f0e1d2c3b',
        creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        generation: 1,
      },
    });
    const raw = (prefix: string) => async (i: number) => {
      const key = Buffer.from(`/bench/raw/${prefix}/pod-${i}`);
      const res = await client.kv.txn({
        compare: [{ key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
        success: [{ request_put: { key, value: Buffer.from(JSON.stringify(stored(`pod-${i}`))) } }],
        failure: [],
      });
      if (!res.succeeded) throw new Error('raw create collided');
    };
    const viaStore = (prefix: string) => (i: number) => store.create(benchPod(`${prefix}-pod-${i}`));

    // Warm up both paths (connections, JIT, the validator's compiled schemas).
    await measure(Math.min(1000, count), concurrency, raw('warm'));
    await measure(Math.min(1000, count), concurrency, viaStore('warm'));

    const rawRates: number[] = [];
    const storeRates: number[] = [];
    for (let r = 0; r < rounds; r++) {
      rawRates.push(await measure(count, concurrency, raw(`r${r}`)));
      storeRates.push(await measure(count, concurrency, viaStore(`r${r}`)));
      out(`  round ${r + 1}: raw ${Math.round(rawRates[r])}/s, store ${Math.round(storeRates[r])}/s`);
    }
    const rawPerSec = median(rawRates);
    const storePerSec = median(storeRates);
    const ratio = storePerSec / rawPerSec;
    const result: StoreBenchResult = { count, concurrency, rawPerSec, storePerSec, ratio, goalMet: ratio >= STORE_RATIO_GOAL };
    out(`store bench: ${count} creates per run, ${concurrency} in flight, median of ${rounds} alternating runs, etcd on loopback`);
    out(`  raw etcd3 txn (create_revision==0 + put): ${Math.round(rawPerSec)} creates/s`);
    out(`  Registry.create (pods):                   ${Math.round(storePerSec)} creates/s`);
    out(`  ratio store/raw: ${ratio.toFixed(2)} (goal >= ${STORE_RATIO_GOAL}) ${result.goalMet ? 'MET' : 'NOT MET'}`);
    await store.close();
    return result;
  } finally {
    await etcd.stop();
  }
}

/** The bench runner's entry: `store [--quick]`. */
export async function storeBench(argv: string[] = []): Promise<StoreBenchResult> {
  const quick = argv.includes('--quick');
  return runStoreBench(quick ? { count: 2000, rounds: 1 } : {});
}
