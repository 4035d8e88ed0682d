// `npm run bench -- kubelet-cost [--quick] [--minions N] [--pods N] [--idle-s S] [--cpu-prof]`: what
// the hollow kubelets themselves cost, with nothing else on the machine: one hollow process (as the
// scale bench runs them: real Kubelets on the memory runtime, 100 to an etcd connection), its own
// etcd, and this process writing pods already bound (no scheduler, no replication manager). Two
// windows: idle (lease renewals and the watches' heartbeats, nothing else moving), then pods (all
// written bound at once, until every one is Running). The scale bench's profiles are taken on a
// saturated machine, where the time a process waits for a CPU is booked to whatever it was running;
// here the hollow process has a core to itself, so its --cpu-prof profile can be read as it is.
import * as path from 'node:path';
import { tmpdir } from 'node:os';
import { realClock, type Minion, type Pod } from '@coxswain/objects';
import { Registry, REGISTRY_MIRRORS } from '@coxswain/registry';
import { EtcdStorage } from '@coxswain/store';
import { eventually, startEtcd } from '@coxswain/testing';
import { spawnBenchChild } from './bench-child';
import { countFlag } from './count-flag';
import { createInBatches } from './create-in-batches';
import { FigureTable, fmt } from './figure-table';
import { findPid, readProcess } from './process-meter';

const PREFIX = 'cost-';

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
  const minions = countFlag(argv, '--minions', quick ? 100 : 500);
  const pods = countFlag(argv, '--pods', quick ? 1_000 : 10_000);
  const idleMs = countFlag(argv, '--idle-s', quick ? 5 : 30) * 1000;
  const profDir = argv.includes('--cpu-prof') ? path.join(tmpdir(), `kubelet-cost-prof-${Date.now()}`) : undefined;
  if (profDir) console.log(`kubelet-cost: the hollow process's CPU profile goes to ${profDir}`);
  const etcd = await startEtcd();
  const etcdPid = findPid(etcd.dataDir);
  if (etcdPid === undefined) throw new Error("kubelet-cost: cannot find etcd's process to measure it");
  const store = new Registry(new EtcdStorage(etcd.client(), { mirrors: REGISTRY_MIRRORS }));
  const hollow = await spawnBenchChild(
    'hollow',
    { etcd: etcd.endpoints[0], count: minions, prefix: PREFIX, perConnection: 100 },
    { nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] },
  );
  try {
    // A kubelet's start() does not wait for its first heartbeat: wait for every Minion object.
    await eventually(async () => (await store.list<Minion>('minions')).items.length >= minions, Math.max(120_000, minions * 60), `${minions} minions registered`, 200);
    const cpu = () => ({ hollow: readProcess(hollow.pid)?.cpuSeconds ?? NaN, etcd: readProcess(etcdPid)?.cpuSeconds ?? NaN });

    const idleStart = cpu();
    await realClock.sleep(idleMs);
    const idleEnd = cpu();
    const idleCores = { hollow: (idleEnd.hollow - idleStart.hollow) / (idleMs / 1000), etcd: (idleEnd.etcd - idleStart.etcd) / (idleMs / 1000) };

    const revision = await store.currentRevision();
    const began = Date.now();
    const podsStart = cpu();
    await Promise.all([allRunning(store, revision, pods, Math.max(120_000, pods * 20)), createInBatches(store, pods, (i) => boundPod(i, minions))]);
    const seconds = (Date.now() - began) / 1000;
    const podsEnd = cpu();
    const perPodMs = { hollow: ((podsEnd.hollow - podsStart.hollow) * 1000) / pods, etcd: ((podsEnd.etcd - podsStart.etcd) * 1000) / pods };

    const f = new FigureTable();
    f.add({ section: 'kubelet-cost', name: `${minions} idle hollow minions, one process`, value: idleCores.hollow * 1000, unit: 'millicores' });
    f.add({ section: 'kubelet-cost', name: 'etcd beside them', value: idleCores.etcd * 1000, unit: 'millicores' });
    f.add({ section: 'kubelet-cost', name: `hollow CPU per pod (${pods} pods written bound, until all Running)`, value: perPodMs.hollow, unit: 'ms' });
    f.add({ section: 'kubelet-cost', name: 'etcd CPU per pod, the same window', value: perPodMs.etcd, unit: 'ms' });
    f.add({ section: 'kubelet-cost', name: 'pods Running/s with one hollow process', value: pods / seconds, unit: 'pods/s' });
    console.log(f.markdown());
    console.log(
      `kubelet-cost: ${minions} idle minions ${fmt(idleCores.hollow * 1000)} millicores (etcd ${fmt(idleCores.etcd * 1000)}); ${pods} pods Running in ${fmt(seconds)} s, ` +
        `${fmt(perPodMs.hollow)} ms of hollow CPU and ${fmt(perPodMs.etcd)} ms of etcd CPU a pod`,
    );
  } finally {
    await hollow.stop();
    await store.close();
    await etcd.stop();
  }
}
