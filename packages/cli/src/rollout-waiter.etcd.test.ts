// Waiting for a rollout, with the real replication manager running in-process on the same etcd.
// No kubelets run here: a watch in the test plays their part for pods labelled `ready-gate=open`,
// writing Running + Ready through the store as a kubelet would (and recording when it did).
import { runReplicationManager } from '@coxswain/reconcilers';
import type { ReconcilerHandle } from '@coxswain/reconcilers';
import { eventually } from '@coxswain/testing';
import { type Event, type Pod, type PodStatus, type ReplicationController } from '@coxswain/objects';
import { isPodReady, rolloutState } from './rollout-waiter';
import { ClusterHarness, startClusterHarness } from './testing/cluster-harness';
import { playKubelets } from './testing/pod-player';

let h: ClusterHarness;
let rm: ReconcilerHandle;
let kubelets: { stop(): Promise<void> };
/** When each pod was made ready. */
const readyAt = new Map<string, number>();

/** What a kubelet reports once a pod's containers have started: Running and Ready. */
function runningAndReady(p: Pod): PodStatus {
  return {
    phase: 'Running',
    hostIP: '127.0.1.1',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: p.spec.containers.map((c) => ({ name: c.name, image: c.image, ready: true, restartCount: 0, state: { running: {} } })),
  };
}

beforeAll(async () => {
  h = await startClusterHarness();
  rm = await runReplicationManager({ etcdServers: h.etcd.endpoints, leaderElect: false });
  await rm.running;
  // The kubelets' part, for the pods labelled ready-gate=open only.
  kubelets = await playKubelets(h.store, { labelSelector: 'ready-gate=open', statusOf: runningAndReady, played: (p) => readyAt.set(p.metadata.name, Date.now()) });
}, 60_000);
afterAll(async () => {
  await kubelets?.stop();
  await rm?.stop();
  await h?.stop();
}, 30_000);

const controller = (name: string, replicas: number, gate: 'open' | 'shut', image = 'busybox:1') => `apiVersion: v1
kind: ReplicationController
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {app: ${name}}
  template:
    metadata: {labels: {app: ${name}, ready-gate: ${gate}}}
    spec:
      containers: [{name: main, image: "${image}"}]
`;

const podsOf = async (app: string) => (await h.store.list<Pod>('pods', { namespace: 'default', labelSelector: `app=${app}` })).items;

describe('apply --wait and rollout status', () => {
  it('apply --wait returns within 2 s of the last replica becoming ready', async () => {
    const r = await h.kubecfg(['apply', '-f', '-', '--wait', '--timeout', '20s'], { stdin: controller('web', 3, 'open') });
    const returnedAt = Date.now();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^replicationcontroller\/web created\n/);
    expect(r.stdout).toMatch(/^Waiting for replicationcontroller\/web: /m);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('replicationcontroller/web successfully rolled out');
    const pods = await podsOf('web');
    expect(pods).toHaveLength(3);
    const lastReady = Math.max(...pods.map((p) => readyAt.get(p.metadata.name) ?? Infinity));
    expect(returnedAt - lastReady).toBeLessThan(2000);
  }, 30_000);

  it('scale, resize and edit change the number of pods', async () => {
    expect((await h.kubecfg(['scale', 'rc', 'web', '--replicas', '5'])).code).toBe(0);
    let r = await h.kubecfg(['rollout', 'status', 'rc', 'web', '--timeout', '20s']);
    expect(r.code).toBe(0);
    expect(await podsOf('web')).toHaveLength(5);
    expect((await h.kubecfg(['resize', 'web', '2'])).code).toBe(0);
    await eventually(async () => (await podsOf('web')).length === 2);
    r = await h.kubecfg(['edit', 'rc', 'web'], {
      env: { EDITOR: `node -e "const fs=require('fs');const f=process.argv[1];fs.writeFileSync(f,fs.readFileSync(f,'utf8').replace(/^  replicas: \\d+$/m,'  replicas: 4'))"` },
    });
    expect(r.stderr).toBe('');
    await eventually(async () => (await podsOf('web')).length === 4);
    expect((await h.kubecfg(['rollout', 'status', 'rc', 'web', '--timeout', '20s'])).code).toBe(0);
  }, 60_000);

  it('fails on --timeout with the reason the cluster gave', async () => {
    const r0 = h.kubecfg(['apply', '-f', '-', '--wait', '--timeout', '3s'], { stdin: controller('stuck', 1, 'shut') });
    await eventually(async () => (await podsOf('stuck')).length === 1);
    const pod = (await podsOf('stuck'))[0];
    const now = new Date().toISOString();
    await h.store.create<Event>({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'stuck-event', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: pod.metadata.name, namespace: 'default' },
      reason: 'FailedScheduling',
      message: '0/1 minions are available: 1 insufficient memory',
      type: 'Warning',
      source: { component: 'scheduler' },
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
    });
    const r = await r0;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: timed out waiting for replicationcontroller\/stuck: 0 of 1 replicas ready/);
    expect(r.stderr).toContain(`Warning FailedScheduling pod/${pod.metadata.name}: 0/1 minions are available: 1 insufficient memory`);
  }, 30_000);
});

describe('rollingupdate', () => {
  it('replaces every pod with the new image, never more than --max-unavailable down', async () => {
    let r = await h.kubecfg(['apply', '-f', '-', '--wait', '--timeout', '20s'], { stdin: controller('roll', 3, 'open', 'busybox:1') });
    expect(r.code).toBe(0);
    // Every state the pods pass through, from a watch (not samples that could miss a short dip).
    const before = await h.store.list<Pod>('pods', { namespace: 'default', labelSelector: 'app=roll' });
    const oldNames = before.items.map((p) => p.metadata.name);
    const ready = new Map(before.items.map((p) => [p.metadata.name, isPodReady(p)]));
    const readyCount = () => [...ready.values()].filter(Boolean).length;
    let minReady = readyCount();
    const watch = h.store.watch<Pod>('pods', { namespace: 'default', labelSelector: 'app=roll', resourceVersion: before.resourceVersion });
    const watched = (async () => {
      for await (const { type, object: p } of watch) {
        if (type === 'DELETED') ready.delete(p.metadata.name);
        else ready.set(p.metadata.name, isPodReady(p));
        minReady = Math.min(minReady, readyCount());
      }
    })();
    r = await h.kubecfg(['-image', 'busybox:2', '-u', '100ms', '--max-unavailable', '1', '--timeout', '20s', 'rollingupdate', 'roll']);
    watch.close();
    await watched;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Updating replicationcontroller/roll: 3 pods to replace, at most 1 unavailable at a time');
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('replicationcontroller/roll updated');
    const pods = await podsOf('roll');
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.spec.containers[0].image === 'busybox:2')).toBe(true);
    expect(pods.some((p) => oldNames.includes(p.metadata.name))).toBe(false);
    expect(minReady).toBeGreaterThanOrEqual(2);
    const rc = await h.store.get<ReplicationController>('replicationControllers', 'default', 'roll');
    expect(rc.spec.template.spec.containers[0].image).toBe('busybox:2');
  }, 60_000);
});

describe('rolloutState', () => {
  it('is done only when the generation is observed and every replica is ready', () => {
    const rc = { metadata: { generation: 2 }, spec: { replicas: 2 }, status: { replicas: 2, observedGeneration: 1 } };
    const ready = { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } };
    const notReady = { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } };
    expect(rolloutState(rc, [ready, ready]).done).toBe(false);
    const observed = { ...rc, status: { replicas: 2, observedGeneration: 2 } };
    expect(rolloutState(observed, [ready, notReady]).done).toBe(false);
    expect(rolloutState(observed, [ready, ready]).done).toBe(true);
    expect(rolloutState(observed, [ready, ready, ready]).done).toBe(false);
  });
});
