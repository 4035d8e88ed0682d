// A cluster for rollout tests and the rollout bench: one etcd, the scheduler, the replication manager
// and the deployment controller in this process, and hollow minions (kubelets over the memory
// runtime). A PodSampler follows the pods of a namespace from a watch and keeps, at every event, the
// fewest Ready pods and the most pods seen.
import { EventRecorder } from '@coxswain/client';
import { Kubelet, MemoryRuntime, type MemoryRuntimeOptions } from '@coxswain/kubelet';
import { Deployment, Pod, ReplicationController } from '@coxswain/objects';
import { runDeploymentController, runReplicationManager, runScheduler, type ReconcilerHandle } from '@coxswain/reconcilers';
import type { Registry } from '@coxswain/registry';
import type { Watch } from '@coxswain/objects';

export class RolloutCluster {
  readonly kubelets: Kubelet[] = [];
  private reconcilers: ReconcilerHandle[] = [];
  deployments?: ReconcilerHandle;

  constructor(readonly store: Registry, readonly etcdServers: readonly string[]) {}

  async start(minions: number, prefix: string, runtime: MemoryRuntimeOptions = {}): Promise<void> {
    for (let i = 0; i < minions; i++) {
      const minion = `${prefix}-${i}`;
      this.kubelets.push(
        new Kubelet({
          minion,
          address: `127.0.1.${(i % 250) + 1}`,
          podCIDR: `172.30.${i % 250}.0/24`,
          store: this.store,
          runtime: new MemoryRuntime(runtime),
          recorder: new EventRecorder({ store: this.store, component: 'kubelet', host: minion }),
          resyncMs: 10_000,
          heartbeatMs: 5_000,
          capacity: { pods: '200' },
        }),
      );
    }
    await Promise.all(this.kubelets.map((k) => k.start()));
    const opts = { etcdServers: this.etcdServers, leaderElect: false };
    this.reconcilers = [await runScheduler(opts), await runReplicationManager(opts)];
    await Promise.all(this.reconcilers.map((r) => r.running));
    await this.startDeploymentController();
  }

  /** Starts (again) the deployment controller: a fresh process's informers and no memory of before. */
  async startDeploymentController(): Promise<void> {
    this.deployments = await runDeploymentController({ etcdServers: this.etcdServers, leaderElect: false });
    await this.deployments.running;
  }

  async stopDeploymentController(): Promise<void> {
    await this.deployments?.stop();
    this.deployments = undefined;
  }

  async stop(): Promise<void> {
    await this.stopDeploymentController();
    await Promise.all(this.reconcilers.map((r) => r.stop()));
    await Promise.all(this.kubelets.map((k) => k.stop()));
  }
}

export function isReady(p: Pod): boolean {
  return p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** The pods of a namespace as a watch delivers them; after every event, the fewest Ready and the most pods. */
export class PodSampler {
  readonly pods = new Map<string, Pod>();
  minReady = Infinity;
  maxPods = 0;
  events = 0;
  private watch?: Watch<Pod>;
  private done?: Promise<void>;

  constructor(private readonly store: Registry, private readonly namespace: string) {}

  async start(): Promise<void> {
    const list = await this.store.list<Pod>('pods', { namespace: this.namespace });
    for (const p of list.items) this.pods.set(p.metadata.name, p);
    this.sample();
    this.watch = this.store.watch<Pod>('pods', { namespace: this.namespace, resourceVersion: list.resourceVersion });
    const watch = this.watch;
    this.done = (async () => {
      for await (const e of watch) {
        if (e.type === 'DELETED') this.pods.delete(e.object.metadata.name);
        else this.pods.set(e.object.metadata.name, e.object);
        this.events++;
        this.sample();
      }
    })().catch(() => undefined);
  }

  ready(): number {
    let n = 0;
    for (const p of this.pods.values()) if (isReady(p)) n++;
    return n;
  }

  private sample(): void {
    this.minReady = Math.min(this.minReady, this.ready());
    this.maxPods = Math.max(this.maxPods, this.pods.size);
  }

  async stop(): Promise<void> {
    this.watch?.close();
    await this.done;
  }
}

/** Whether the deployment's rollout of its current spec is done (what `rollout status` waits for). */
export function rolloutDone(d: Deployment): boolean {
  const s = d.status ?? {};
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  return (
    s.observedGeneration === d.metadata.generation &&
    s.updatedReplicas === d.spec.replicas &&
    s.replicas === d.spec.replicas &&
    s.availableReplicas === d.spec.replicas &&
    progressing?.reason === 'NewReplicationControllerAvailable'
  );
}

export function deploymentFixture(name: string, namespace: string, replicas: number, image: string, strategy: Deployment['spec']['strategy']): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
      strategy,
    },
  };
}

export async function rcsOf(store: Registry, namespace: string): Promise<ReplicationController[]> {
  return (await store.list<ReplicationController>('replicationControllers', { namespace })).items;
}
