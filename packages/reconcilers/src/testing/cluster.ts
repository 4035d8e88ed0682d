// A test cluster on a real etcd: the store, minions written directly, and simulated kubelets that
// mark bound pods Running (with an IP and Ready) the way a kubelet would, so the reconcilers can be
// tested end to end without Docker.
import { EtcdHarness, startEtcd, etcdRegistry } from '@coxswain/testing';
import type { Registry } from '@coxswain/registry';
import { Informer } from '@coxswain/client';
import { Minion, Pod, ReplicationController, Event } from '@coxswain/objects';
import { minion as minionFixture } from './fixtures';

export class TestCluster {
  store!: Registry;
  private kubelets?: Informer<Pod>;
  private ipCounter = 1;
  /** Minions whose simulated kubelet is "up" (marks pods Running). */
  readonly up = new Set<string>();
  readyByDefault = true;

  constructor(readonly etcd: EtcdHarness) {}

  static async start(): Promise<TestCluster> {
    const etcd = await startEtcd();
    const c = new TestCluster(etcd);
    c.store = etcdRegistry(etcd.client());
    return c;
  }

  async stop(): Promise<void> {
    await this.kubelets?.stop();
    await this.store.close();
    await this.etcd.stop();
  }

  get endpoints(): string[] {
    return this.etcd.endpoints;
  }

  async addMinion(name: string, opts: Parameters<typeof minionFixture>[1] = {}): Promise<Minion> {
    this.up.add(name);
    return this.store.create(minionFixture(name, opts));
  }

  /** Simulated kubelets: bound pods on an `up` minion become Running with an IP (and Ready unless told otherwise). */
  startKubelets(): void {
    this.kubelets = new Informer<Pod>({ store: this.store, resource: 'pods', name: 'test-kubelets' });
    const handle = (p: Pod) => {
      if (!p.spec.nodeName || !this.up.has(p.spec.nodeName) || p.status?.phase === 'Running') return;
      const ready = this.readyByDefault;
      this.store
        .updateStatus<Pod>({
          ...structuredClone(p),
          status: { phase: 'Running', podIP: `10.244.0.${this.ipCounter++ % 250}`, hostIP: '127.0.0.1', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
        })
        .catch(() => {
          // Conflict/NotFound: the informer delivers the newer copy and we try again; Unavailable: teardown.
        });
    };
    this.kubelets.addEventHandler({ onAdd: handle, onUpdate: (_o, p) => handle(p) });
    this.kubelets.start();
  }

  async setPodReady(namespace: string, name: string, ready: boolean): Promise<void> {
    await this.store.guaranteedUpdate<Pod>('pods', namespace, name, (p) => ({
      ...p,
      status: { ...p.status, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    }), { subresource: 'status' });
  }

  async pods(selector?: string): Promise<Pod[]> {
    return (await this.store.list<Pod>('pods', { labelSelector: selector })).items;
  }

  async rc(name: string, namespace = 'default'): Promise<ReplicationController> {
    return this.store.get<ReplicationController>('replicationControllers', namespace, name);
  }

  async events(reason?: string): Promise<Event[]> {
    return (await this.store.list<Event>('events')).items.filter((e) => !reason || e.reason === reason);
  }

  async scale(name: string, replicas: number): Promise<void> {
    await this.store.guaranteedUpdate<ReplicationController>('replicationControllers', 'default', name, (rc) => ({
      ...rc,
      spec: { ...rc.spec, replicas },
    }));
  }
}
