// kubecfg's deployment verbs against a real API server, with the deployment controller and the
// replication manager running in-process on the same etcd. A watch in the test plays the kubelets:
// pods start Running and Ready, except those of an image named `*missing*`, which stay Pending with
// ErrImagePull as a kubelet reports it.
import { runDeploymentController, runReplicationManager } from '@coxswain/reconcilers';
import type { ReconcilerHandle } from '@coxswain/reconcilers';
import { eventually, kubeconfigFor, kubectlRunner } from '@coxswain/testing';
import type { Deployment, HorizontalPodAutoscaler, Pod, PodStatus, ReplicationController, ResourceQuota } from '@coxswain/objects';
import { ClusterHarness, startClusterHarness, tableCells } from './testing/cluster-harness';
import { playKubelets } from './testing/pod-player';

jest.setTimeout(60_000);

let h: ClusterHarness;
let reconcilers: ReconcilerHandle[] = [];
let kubelets: { stop(): Promise<void> };

/** What a kubelet reports: Running and Ready, or for an image named `*missing*` Pending with ErrImagePull. */
function kubeletStatus(p: Pod): PodStatus {
  const image = p.spec.containers[0].image;
  if (image.includes('missing')) {
    return {
      phase: 'Pending',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'web', image, ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull', message: `image "${image}" not found` } } }],
    };
  }
  return {
    phase: 'Running',
    hostIP: '127.0.1.1',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }],
    containerStatuses: [{ name: 'web', image, ready: true, restartCount: 0, state: { running: {} } }],
  };
}

beforeAll(async () => {
  h = await startClusterHarness();
  const opts = { etcdServers: h.etcd.endpoints, leaderElect: false };
  reconcilers = [await runReplicationManager(opts), await runDeploymentController(opts)];
  await Promise.all(reconcilers.map((r) => r.running));
  kubelets = await playKubelets(h.store, { statusOf: kubeletStatus });
}, 60_000);
afterAll(async () => {
  await kubelets?.stop();
  await Promise.all(reconcilers.map((r) => r.stop()));
  await h?.stop();
}, 30_000);

const manifest = (image: string, cause: string) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    kubernetes.io/change-cause: ${cause}
spec:
  replicas: 4
  progressDeadlineSeconds: 1
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 1, maxSurge: 1}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
`;

async function podImages(): Promise<string[]> {
  const pods = (await h.store.list<Pod>('pods', { namespace: 'default', labelSelector: 'app=web' })).items;
  return [...new Set(pods.filter((p) => p.status?.phase === 'Running').map((p) => p.spec.containers[0].image))];
}

describe('kubecfg rollout (deployments)', () => {
  it('apply --wait follows the rollout; get, history and describe show it', async () => {
    const r = await h.kubecfg(['apply', '-f', '-', '--wait', '--timeout', '30s'], { stdin: manifest('web:v1', 'first') });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deployment "web" successfully rolled out');
    const get = await h.kubecfg(['get', 'deployments']);
    expect(tableCells(get.stdout)[1].slice(0, 4)).toEqual(['web', '4/4', '4', '4']);

    const applied = await h.kubecfg(['apply', '-f', '-'], { stdin: manifest('web:v2', 'second') });
    expect(applied.code).toBe(0);
    const status = await h.kubecfg(['rollout', 'status', 'deployment/web', '--timeout', '30s']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('successfully rolled out');
    expect(await podImages()).toEqual(['web:v2']);

    const history = await h.kubecfg(['rollout', 'history', 'deployment/web']);
    expect(history.stdout.split('\n')[0]).toBe('deployment.apps/web');
    expect(tableCells(history.stdout.split('\n').slice(1).join('\n'))).toEqual([['REVISION', 'CHANGE-CAUSE'], ['1', 'first'], ['2', 'second']]);
    const describe = await h.kubecfg(['describe', 'deployment', 'web']);
    expect(describe.stdout).toMatch(/Replication Controllers:\n\s+Name\s+Revision\s+Ready\s+Images\n\s+web-\w+\s+2\s+4\/4\s+web:v2\n\s+web-\w+\s+1\s+0\/0\s+web:v1/);
    expect(describe.stdout).toMatch(/Progressing\s+True\s+NewReplicationControllerAvailable/);
  });

  it('an image that cannot start: rollout status exits non-zero with the reason within 1 s of the condition; undo returns to the last good revision', async () => {
    const conditionAt = (async () => {
      const watch = h.store.watch<Deployment>('deployments', { namespace: 'default', resourceVersion: await h.store.currentRevision() });
      for await (const { object: d } of watch) {
        if (d.status?.conditions?.some((c) => c.reason === 'ProgressDeadlineExceeded')) {
          watch.close();
          return Date.now();
        }
      }
      return undefined;
    })();
    expect((await h.kubecfg(['apply', '-f', '-'], { stdin: manifest('web:missing', 'broken') })).code).toBe(0);
    const status = await h.kubecfg(['rollout', 'status', 'deployment/web', '--timeout', '30s']);
    const exitedAt = Date.now();
    expect(status.code).not.toBe(0);
    expect(status.stderr).toContain('exceeded its progress deadline');
    expect(status.stderr).toContain('ErrImagePull: image "web:missing" not found');
    expect(exitedAt - (await conditionAt)!).toBeLessThan(1000);
    // At most maxUnavailable (1) of the good pods went.
    const d = await h.store.get<Deployment>('deployments', 'default', 'web');
    expect(d.status?.availableReplicas).toBeGreaterThanOrEqual(3);

    const undo = await h.kubecfg(['rollout', 'undo', 'deployment/web']);
    expect(undo.stdout).toContain('rolled back to revision 2');
    expect((await h.kubecfg(['rollout', 'status', 'deployment/web', '--timeout', '30s'])).code).toBe(0);
    await eventually(async () => (await podImages()).join() === 'web:v2', 10_000, 'only v2 pods');
    const history = await h.kubecfg(['rollout', 'history', 'deployment/web']);
    expect(tableCells(history.stdout.split('\n').slice(1).join('\n')).slice(1)).toEqual([['1', 'first'], ['3', 'broken'], ['4', 'second']]);
    const to1 = await h.kubecfg(['rollout', 'undo', 'deployment/web', '--to-revision', '9']);
    expect(to1.code).not.toBe(0);
    expect(to1.stderr).toContain('has no revision 9');
  });

  it('pause holds a template change; resume rolls it out', async () => {
    expect((await h.kubecfg(['rollout', 'pause', 'deployment/web'])).stdout).toContain('paused');
    await h.kubecfg(['apply', '-f', '-'], { stdin: manifest('web:v3', 'third').replace('replicas: 4', 'replicas: 4\n  paused: true') });
    const held = await h.kubecfg(['rollout', 'status', 'deployment/web', '--timeout', '1s']);
    expect(held.code).not.toBe(0);
    expect(held.stdout + held.stderr).toContain('is paused');
    expect(await podImages()).toEqual(['web:v2']);
    await h.kubecfg(['rollout', 'resume', 'deployment/web']);
    expect((await h.kubecfg(['rollout', 'status', 'deployment/web', '--timeout', '30s'])).code).toBe(0);
    await eventually(async () => (await podImages()).join() === 'web:v3', 10_000, 'only v3 pods');
  });

  it('scale deployment/NAME --replicas N sets the deployment\'s replicas; the controller brings the pods along', async () => {
    const r = await h.kubecfg(['scale', 'deployment/web', '--replicas', '6']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('deployment/web scaled\n'); // as delete and patch name it (objectRef)
    expect((await h.store.get<Deployment>('deployments', 'default', 'web')).spec.replicas).toBe(6);
    expect((await h.kubecfg(['rollout', 'status', 'deployment/web', '--timeout', '30s'])).code).toBe(0);
    await eventually(async () => (await h.store.list<Pod>('pods', { namespace: 'default' })).items.length === 6, 10_000, '6 pods');
  });

  it('autoscale deployment NAME: an HPA whose target is the Deployment (apps/v1), shown by get hpa', async () => {
    const r = await h.kubecfg(['autoscale', 'deployment', 'web', '--min', '2', '--max', '8', '--cpu-percent', '60']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('horizontalpodautoscaler/web autoscaled\n');
    const hpa = await h.store.get<HorizontalPodAutoscaler>('horizontalpodautoscalers', 'default', 'web');
    expect(hpa.spec).toEqual({ scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 8, targetCPUUtilizationPercentage: 60 });
    expect((await h.kubecfg(['get', 'hpa'])).stdout).toMatch(/^web\s+Deployment\/web\s+\S+\/60%\s+2\s+8\s/m);
    await h.store.delete('horizontalpodautoscalers', 'default', 'web');
  });

  it('under a quota: ReplicaFailure (FailedCreate, naming the quota) on its RC and on the Deployment, shown by rollout status and describe; cleared once the quota allows', async () => {
    const ns = 'capped';
    await h.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } as never);
    const cappedKubelets = await playKubelets(h.store, { namespace: ns, statusOf: kubeletStatus });
    try {
      await h.store.create<ResourceQuota>({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'two-pods', namespace: ns }, spec: { hard: { pods: '2' } } } as ResourceQuota);
      const capped = manifest('web:v1', 'capped').replace('name: web\n', `name: capped\n  namespace: ${ns}\n`).replace('progressDeadlineSeconds: 1', 'progressDeadlineSeconds: 600');
      expect((await h.kubecfg(['apply', '-f', '-'], { stdin: capped })).code).toBe(0);

      const refusal = 'exceeded quota: two-pods, requested: pods=1, used: pods=2, limited: pods=2';
      const failureOf = (o: { status?: { conditions?: Array<{ type: string }> } }) => o.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
      const rcs = async () => (await h.store.list<ReplicationController>('replicationControllers', { namespace: ns })).items;
      const [rc] = await eventually(async () => {
        const items = await rcs();
        return items.length === 1 && failureOf(items[0]) && items;
      }, 20_000, "the RC's ReplicaFailure");
      expect(failureOf(rc)).toEqual({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: expect.stringContaining(refusal), lastTransitionTime: expect.any(String) });
      const d = await eventually(async () => {
        const got = await h.store.get<Deployment>('deployments', ns, 'capped');
        return failureOf(got) && got;
      }, 10_000, "the Deployment's ReplicaFailure");
      expect(failureOf(d)).toEqual({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: expect.stringContaining(refusal), lastTransitionTime: expect.any(String) });
      expect((await h.store.list<Pod>('pods', { namespace: ns })).items).toHaveLength(2);

      const status = await h.kubecfg(['rollout', 'status', 'deployment/capped', '-n', ns, '--timeout', '1s']);
      expect(status.code).not.toBe(0);
      expect(status.stdout + status.stderr).toContain(`(ReplicaFailure FailedCreate: pods "capped-`);
      expect(status.stdout + status.stderr).toContain(refusal);
      const describe = await h.kubecfg(['describe', 'deployment/capped', '-n', ns]);
      const conditionRow = describe.stdout.split('\n').find((l) => l.trim().startsWith('ReplicaFailure'));
      expect(conditionRow?.trim().split(/\s+/).slice(0, 3)).toEqual(['ReplicaFailure', 'True', 'FailedCreate']);
      expect(conditionRow).toContain(refusal);
      // Stock kubectl's describe reads the same condition.
      const kubectl = kubectlRunner(kubeconfigFor(h.url, ns));
      const kubectlRow = (await kubectl('describe', 'deployment', 'capped')).split('\n').find((l) => l.trim().startsWith('ReplicaFailure'));
      expect(kubectlRow?.trim().split(/\s+/)).toEqual(['ReplicaFailure', 'True', 'FailedCreate']);

      // Room for all four: the replication manager's retry creates the rest and both conditions go.
      await h.store.update<ResourceQuota>({ ...(await h.store.get<ResourceQuota>('resourcequotas', ns, 'two-pods')), spec: { hard: { pods: '4' } } });
      expect((await h.kubecfg(['rollout', 'status', 'deployment/capped', '-n', ns, '--timeout', '30s'])).code).toBe(0);
      await eventually(async () => !failureOf((await rcs())[0]) && !failureOf(await h.store.get<Deployment>('deployments', ns, 'capped')), 10_000, 'ReplicaFailure cleared');
      expect((await h.store.list<Pod>('pods', { namespace: ns })).items).toHaveLength(4);
    } finally {
      await cappedKubelets.stop();
    }
  }, 60_000);
});
