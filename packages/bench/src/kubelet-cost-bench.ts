// `npm run bench -- kubelet-cost [--quick] [--minions N] [--pods N] [--processes N] [--rate N]
// [--idle-s S] [--cpu-prof]`: what the hollow kubelets themselves cost, with nothing else on the
// machine: hollow processes (as the scale bench runs them: real Kubelets on the memory runtime, 100
// to an etcd connection, `--minions` to a process), their own etcd, and this process writing pods
// already bound (no scheduler, no replication manager). Three windows: idle (lease renewals and the
// watches' heartbeats, nothing else moving); pods (written bound all at once, or `--rate` a second as
// a density's scheduler binds them, until every one is Running); idle again with those pods (their
// resyncs). The scale bench's profiles are taken on a saturated machine, where the time a process
// waits for a CPU is booked to whatever it was running; here the hollow process has a core to
// itself, so its --cpu-prof profile can be read as it is.
import * as path from 'node:path';
import { tmpdir } from 'node:os';
import { realClock, type Minion, type Pod } from '@coxswain/objects';
import { Registry, REGISTRY_MIRRORS } from '@coxswain/registry';
import { EtcdStorage } from '@coxswain/store';
import { eventually, startEtcd } from '@coxswain/testing';
import { spawnBenchChild, type BenchChild } from './bench-child';
import { keyWritesOf } from './bench-context';
import { countFlag } from './count-flag';
import { createInBatches } from './create-in-batches';
import { FigureTable, fmt } from './figure-table';
import { findPid, readProcess } from './process-meter';

const PREFIX = 'cost-';

/**
 * Writes `count` pods bound, `perSecond` a second in tenths of a second (a density's bindings arrive
 * as a stream, not all at once: each pod then costs its kubelet a watch event and a status txn of its
 * own, where pods written all at once share both).
 */
async function createPaced(store: Registry, count: number, perSecond: number, make: (i: number) => Pod): Promise<void> {
  const began = Date.now();
  const batch = Math.max(1, Math.round(perSecond / 10));
  for (let start = 0; start < count; start += batch) {
    const due = began + (start / perSecond) * 1000;
    if (due > Date.now()) await realClock.sleep(due - Date.now());
    await store.createMany(Array.from({ length: Math.min(batch, count - start) }, (_, j) => make(start + j)));
  }
}

/** Resolves once etcd's revision has not moved for a second (nothing is being written); fails after `timeoutMs`. */
async function writesStopped(store: Registry, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await store.currentRevision();
  while (Date.now() < deadline) {
    await realClock.sleep(1000);
    const now = await store.currentRevision();
    if (now === last) return;
    last = now;
  }
  throw new Error(`kubelet-cost: etcd was still being written ${timeoutMs / 1000} s after the pods were Running`);
}

function boundPod(i: number, minions: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `cost-${i}`, namespace: 'default', labels: { rc: `rc-${i % 50}` } },
    spec: {
      nodeName: `${PREFIX}${i % minions}`,
      containers: [{ name: 'sleep', image: 'coxswain/busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
      restartPolicy: 'Always',
    },
  } as Pod;
}

/**
 * Resolves once `want` pods are Running, from a watch begun at `revision` (no polling: a LIST would
 * load etcd); fails after `timeoutMs` saying how many were.
 */
async function allRunning(store: Registry, revision: string, want: number, timeoutMs: number): Promise<void> {
  const running = new Set<string>();
  const watch = store.watch<Pod>('pods', { resourceVersion: revision });
  const timer = setTimeout(() => watch.close(), timeoutMs);
  try {
    for await (const ev of watch) {
      if (ev.type !== 'DELETED' && ev.object.status?.phase === 'Running') running.add(ev.object.metadata.name);
      if (running.size >= want) return;
    }
  } finally {
    clearTimeout(timer);
    watch.close();
  }
  throw new Error(`kubelet-cost: ${running.size} of ${want} pods Running after ${timeoutMs / 1000} s`);
}

export async function kubeletCostBench(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const perProcess = countFlag(argv, '--minions', quick ? 100 : 500);
  const processes = countFlag(argv, '--processes', 1);
  const minions = perProcess * processes;
  const pods = countFlag(argv, '--pods', quick ? 1_000 : 10_000);
  const rate = argv.includes('--rate') ? countFlag(argv, '--rate', 1) : undefined;
  const idleMs = countFlag(argv, '--idle-s', quick ? 5 : 30) * 1000;
  const profDir = argv.includes('--cpu-prof') ? path.join(tmpdir(), `kubelet-cost-prof-${Date.now()}`) : undefined;
  if (profDir) console.log(`kubelet-cost: the hollow process's CPU profile goes to ${profDir}`);
  const etcd = await startEtcd();
  const etcdPid = findPid(etcd.dataDir);
  if (etcdPid === undefined) throw new Error("kubelet-cost: cannot find etcd's process to measure it");
  const store = new Registry(new EtcdStorage(etcd.client(), { mirrors: REGISTRY_MIRRORS }));
  const hollows: BenchChild[] = [];
  try {
    for (let p = 0; p < processes; p++) {
      hollows.push(
        await spawnBenchChild(
          'hollow',
          { etcd: etcd.endpoints[0], count: perProcess, first: p * perProcess, prefix: PREFIX, perConnection: 100 },
          { nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] },
        ),
      );
    }
    // A kubelet's start() does not wait for its first heartbeat: wait for every Minion object.
    await eventually(async () => (await store.list<Minion>('minions')).items.length >= minions, Math.max(120_000, minions * 60), `${minions} minions registered`, 200);
    const cpu = () => ({ hollow: hollows.reduce((sum, h) => sum + (readProcess(h.pid)?.cpuSeconds ?? NaN), 0), etcd: readProcess(etcdPid)?.cpuSeconds ?? NaN });

    /** The cores hollow processes and etcd use over `idleMs` with nothing written. */
    const idleWindow = async () => {
      const start = cpu();
      const fromRevision = Number(await store.currentRevision());
      await realClock.sleep(idleMs);
      const end = cpu();
      const txnsPerSecond = (Number(await store.currentRevision()) - fromRevision) / (idleMs / 1000);
      return { hollow: (end.hollow - start.hollow) / (idleMs / 1000), etcd: (end.etcd - start.etcd) / (idleMs / 1000), txnsPerSecond };
    };
    const idleCores = await idleWindow();

    const revision = await store.currentRevision();
    const keyWritesBefore = await keyWritesOf(etcd.endpoints[0]);
    const began = Date.now();
    const podsStart = cpu();
    await Promise.all([allRunning(store, revision, pods, Math.max(120_000, pods * 20)), rate ? createPaced(store, pods, rate, (i) => boundPod(i, minions)) : createInBatches(store, pods, (i) => boundPod(i, minions))]);
    const seconds = (Date.now() - began) / 1000;
    const podsEnd = cpu();
    // Revisions are write txns (the idle window's lease renewals among them); key writes are objects.
    const txnsPerPod = (Number(await store.currentRevision()) - Number(revision)) / pods;
    const keyWritesPerPod = ((await keyWritesOf(etcd.endpoints[0])) - keyWritesBefore) / pods;
    // The pods' own upkeep (resyncs every minute, heartbeats of minions with pods): what a density
    // pays for every pod already Running while the rest come. Measured once the pods' events have
    // all been written (after a burst they trail the pods by tens of seconds).
    await writesStopped(store, 120_000);
    const idleWithPods = await idleWindow();
    const perPodMs = { hollow: ((podsEnd.hollow - podsStart.hollow) * 1000) / pods, etcd: ((podsEnd.etcd - podsStart.etcd) * 1000) / pods };

    const procs = processes === 1 ? 'one process' : `${processes} processes`;
    const written = rate ? `written bound ${rate}/s` : 'written bound at once';
    const f = new FigureTable();
    f.add({ section: 'kubelet-cost', name: `${minions} idle hollow minions, ${procs}`, value: idleCores.hollow * 1000, unit: 'millicores' });
    f.add({ section: 'kubelet-cost', name: 'etcd beside them', value: idleCores.etcd * 1000, unit: 'millicores' });
    f.add({ section: 'kubelet-cost', name: `hollow CPU per pod (${pods} pods ${written}, until all Running)`, value: perPodMs.hollow, unit: 'ms' });
    f.add({ section: 'kubelet-cost', name: 'etcd CPU per pod, the same window', value: perPodMs.etcd, unit: 'ms' });
    f.add({ section: 'kubelet-cost', name: 'etcd write txns per pod, the same window (key writes)', value: txnsPerPod, unit: 'txns', against: 'key writes', againstValue: keyWritesPerPod });
    f.add({ section: 'kubelet-cost', name: `the same minions idle with the ${pods} pods Running`, value: idleWithPods.hollow * 1000, unit: 'millicores', against: 'without pods', againstValue: idleCores.hollow * 1000 });
    f.add({ section: 'kubelet-cost', name: 'etcd beside them', value: idleWithPods.etcd * 1000, unit: 'millicores', against: 'without pods', againstValue: idleCores.etcd * 1000 });
    f.add({ section: 'kubelet-cost', name: 'etcd write txns/s, idle with the pods', value: idleWithPods.txnsPerSecond, unit: 'txn/s', against: 'without pods', againstValue: idleCores.txnsPerSecond });
    f.add({ section: 'kubelet-cost', name: `pods Running/s, ${procs}`, value: pods / seconds, unit: 'pods/s' });
    console.log(f.markdown());
    console.log(
      `kubelet-cost: ${minions} idle minions ${fmt(idleCores.hollow * 1000)} millicores (etcd ${fmt(idleCores.etcd * 1000)}); ${pods} pods Running in ${fmt(seconds)} s, ` +
        `${fmt(perPodMs.hollow)} ms of hollow CPU and ${fmt(perPodMs.etcd)} ms of etcd CPU a pod`,
    );
  } finally {
    await Promise.all(hollows.map((h) => h.stop()));
    await store.close();
    await etcd.stop();
  }
}
