// The kubelet over the in-memory runtime and a real etcd (started by the harness): pods bound in the
// store come up, crash and restart with back-off, fail pulls, are adopted after a restart, and are
// cleaned up when unbound. Status is written only when it changes.
import { etcdRegistryForSuite, eventually } from '@coxswain/testing';
import { Event, Minion, minionLeaseKey, objectKey, Pod, realClock, UnavailableError } from '@coxswain/objects';
import { EventRecorder } from '@coxswain/client';
import { createLogger, processMetrics } from '@coxswain/process';
import { Kubelet, KubeletOptions } from './kubelet';
import { MemoryRuntime } from './memory-runtime';
import { InvalidImageNameError, LABELS } from './runtime';
import { sharedServiceCache } from './service-cache';

jest.setTimeout(30_000);

const suite = etcdRegistryForSuite({ watchProgressIntervalMs: 1000 });
let n = 0;
let ns: string;
const kubelets: Kubelet[] = [];

beforeEach(() => {
  ns = `kt${++n}`;
});
afterEach(async () => {
  await Promise.all(kubelets.splice(0).map((k) => k.stop()));
});

function startKubelet(runtime: MemoryRuntime, extra: Partial<KubeletOptions> = {}): Kubelet {
  const minion = extra.minion ?? `m-${ns}`;
  const k = new Kubelet({
    minion,
    address: '127.0.1.11',
    podCIDR: '172.30.11.0/24',
    store: suite.store,
    leaseStorage: suite.store.storage,
    runtime,
    recorder: new EventRecorder({ store: suite.store, component: 'kubelet', host: minion }),
    resyncMs: 1000,
    heartbeatMs: 500,
    restartBackoff: { initialMs: 60_000 },
    ...extra,
  });
  kubelets.push(k);
  return k;
}

async function bindPod(spec: Partial<Pod['spec']> & { containers: Pod['spec']['containers'] }, name = 'web', minion = `m-${ns}`): Promise<Pod> {
  const p = await suite.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { app: name } }, spec });
  await suite.store.bind(ns, name, minion, p.metadata.resourceVersion!);
  return p;
}

const getPod = (name = 'web') => suite.store.get<Pod>('pods', ns, name);

/**
 * A bound pod the API would refuse today, as one stored before its rule: created valid and bound,
 * then changed in storage past the registry's validation (before any kubelet has seen it).
 */
async function bindPodPastTheDoor(name: string, container: Partial<Pod['spec']['containers'][number]>): Promise<void> {
  const p = await suite.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { containers: [{ name: 'app', image: 'img' }] } });
  await suite.store.bind(ns, name, `m-${ns}`, p.metadata.resourceVersion!);
  await suite.store.storage.guaranteedUpdate<Pod>(objectKey('pods', ns, name), (cur) => ({ ...cur, spec: { ...cur.spec, containers: [{ ...cur.spec.containers[0], ...container }] } }));
}

/** The pod's first container's waiting state once it has one with `reason`. */
async function waitingWith(name: string, reason: string) {
  return eventually(async () => {
    const w = (await getPod(name)).status?.containerStatuses?.[0]?.state.waiting;
    return w?.reason === reason && w;
  }, 10_000, `${name} Waiting/${reason}`);
}

async function events(): Promise<Event[]> {
  return (await suite.store.list<Event>('events', { namespace: ns })).items;
}

/** How many times the kubelet has synced one pod so far: each sync lists that pod's containers. */
function syncCounter(runtime: MemoryRuntime, podName: string): () => number {
  const list = jest.spyOn(runtime, 'listContainers');
  return () => list.mock.calls.filter(([labels]) => labels[LABELS.podName] === podName).length;
}

/** Waits until the pod has been synced `n` more times (resyncs come every second in these tests). */
async function moreSyncs(syncs: () => number, n: number, what: string): Promise<void> {
  const target = syncs() + n;
  await eventually(() => syncs() >= target, 10_000, `${n} more syncs of ${what}`);
}

describe('Kubelet (memory runtime, real etcd)', () => {
  it('registers its minion with a lease and runs a bound pod with the service variables', async () => {
    await suite.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'redis-master', namespace: ns }, spec: { ports: [{ port: 10000, targetPort: 6379 }], selector: { app: 'redis' } } });
    const runtime = new MemoryRuntime();
    const k = startKubelet(runtime, { labels: { zone: 'a' } });
    await k.start();
    await bindPod({ containers: [{ name: 'app', image: 'coxswain/busybox', env: [{ name: 'MODE', value: 'x' }], ports: [{ containerPort: 80, hostPort: 8080 }] }] });

    const pod = await eventually(async () => {
      const p = await getPod();
      return p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && p;
    }, 10_000, 'pod Running and Ready');
    expect(pod.status?.hostIP).toBe('127.0.1.11');
    expect(pod.status?.podIP).toMatch(/^172\.30\.11\.\d+$/);
    expect(pod.status?.containerStatuses?.[0]).toMatchObject({ name: 'app', restartCount: 0, ready: true, state: { running: {} } });
    // /metrics: its start timed once (this file's registry is its own; this is its first pod).
    expect(await processMetrics.metrics()).toMatch(/^kubelet_pod_start_duration_seconds_count 1$/m);

    const [app] = runtime.byName('web', 'app');
    expect(app.config?.env).toEqual(
      expect.arrayContaining(['REDIS_MASTER_SERVICE_HOST=172.30.11.1', 'REDIS_MASTER_SERVICE_PORT=10000', 'REDIS_MASTER_PORT=tcp://172.30.11.1:10000', 'REDIS_MASTER_PORT_10000_TCP_ADDR=172.30.11.1', 'MODE=x']),
    );
    const [sandbox] = runtime.byName('web', 'POD');
    expect(sandbox.sandbox?.ports).toEqual([{ containerPort: 80, hostPort: 8080, protocol: 'tcp', hostIp: '127.0.1.11' }]);
    expect(app.config?.sandboxId).toBe(sandbox.id);
    expect(app.labels).toMatchObject({ [LABELS.minion]: k.minion, [LABELS.podName]: 'web', [LABELS.namespace]: ns, [LABELS.podUid]: pod.metadata.uid });

    const minion = await suite.store.get<Minion>('minions', undefined, k.minion);
    expect(minion.spec?.podCIDR).toBe('172.30.11.0/24');
    expect(minion.metadata.labels).toEqual({ zone: 'a' });
    expect(minion.status).toMatchObject({ kubeletEndpoint: 'http://127.0.1.11:10250', serviceAddress: '172.30.11.1', addresses: [{ type: 'InternalIP', address: '127.0.1.11' }, { type: 'Hostname', address: k.minion }] });
    const ready = minion.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('True');
    const lease = await suite.client.get(minionLeaseKey(k.minion)).exists();
    expect(lease).toBe(true);
    // The heartbeat moves on by renewing the lease alone: the unchanged Minion is not rewritten each beat.
    const beat = k.heartbeat.lastBeatAt!;
    await eventually(async () => k.heartbeat.lastBeatAt! > beat + 1000, 10_000, 'two more heartbeats');
    expect((await suite.store.get<Minion>('minions', undefined, k.minion)).metadata.resourceVersion).toBe(minion.metadata.resourceVersion);
    expect((await events()).map((e) => e.reason)).toEqual(expect.arrayContaining(['Pulling', 'Pulled', 'Created', 'Started']));
  });

  it('keeps a container waiting (CreateContainerConfigError) while its services cannot be read, then starts it with their variables', async () => {
    await suite.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'redis-master', namespace: ns }, spec: { ports: [{ port: 10000, targetPort: 6379 }], selector: { app: 'redis' } } });
    let servicesDown = true;
    // The registry, with lists of services failing as with etcd out of reach.
    const flaky = new Proxy(suite.store, {
      get(target, prop) {
        if (prop === 'list') {
          return (resource: string, ...rest: unknown[]) =>
            resource === 'services' && servicesDown ? Promise.reject(new UnavailableError('etcd unavailable (list)')) : (target.list as (...a: unknown[]) => unknown)(resource, ...rest);
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const runtime = new MemoryRuntime();
    const k = startKubelet(runtime, { store: flaky });
    await k.start();
    await bindPod({ containers: [{ name: 'app', image: 'coxswain/busybox' }] });

    const waiting = await eventually(async () => (await getPod()).status?.containerStatuses?.[0]?.state?.waiting, 10_000, 'the container waiting');
    expect(waiting).toMatchObject({ reason: 'CreateContainerConfigError', message: expect.stringContaining(`the services of namespace ${ns} could not be read`) });
    expect(runtime.byName('web', 'app')).toEqual([]); // not started without them

    servicesDown = false;
    await eventually(async () => (await getPod()).status?.phase === 'Running', 10_000, 'pod Running once the services are read');
    expect(runtime.byName('web', 'app')[0]?.config?.env).toEqual(expect.arrayContaining(['REDIS_MASTER_SERVICE_HOST=172.30.11.1']));
  });

  it("gives a container the variables of a service created after the kubelet started (watched, not listed per start), and of its own namespace only", async () => {
    const runtime = new MemoryRuntime();
    const k = startKubelet(runtime);
    await k.start();
    const service = (namespace: string, name: string, port: number) =>
      suite.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: [{ port, targetPort: 80 }], selector: { app: name } } });
    await service(ns, 'cache', 11211);
    await service(`${ns}-other`, 'elsewhere', 9000);
    // The kubelets on one store share one informer of services: this is the kubelet's own.
    const services = sharedServiceCache({ store: suite.store, clock: realClock, logger: createLogger('test') });
    await eventually(async () => (await services.list(ns)).some((s) => s.metadata.name === 'cache'), 10_000, 'the new service in the kubelet cache');
    const listed = jest.spyOn(suite.store, 'list');
    await bindPod({ containers: [{ name: 'app', image: 'coxswain/busybox' }] });
    await eventually(async () => (await getPod()).status?.phase === 'Running', 10_000, 'Running');

    const env = runtime.byName('web', 'app')[0]?.config?.env ?? [];
    expect(env).toEqual(expect.arrayContaining(['CACHE_SERVICE_HOST=172.30.11.1', 'CACHE_SERVICE_PORT=11211']));
    expect(env.filter((e) => e.startsWith('ELSEWHERE_'))).toEqual([]);
    expect(listed.mock.calls.filter(([resource]) => resource === 'services')).toEqual([]);
    listed.mockRestore();
    // The last kubelet on the store gone, its informer stops with it.
    await k.stop();
    await expect(services.list(ns)).rejects.toThrow('not running');
  });

  it('restarts a crashed container (count 1), then backs off (CrashLoopBackOff); writes status only on change', async () => {
    const runtime = new MemoryRuntime();
    const k = startKubelet(runtime);
    await k.start();
    await bindPod({ containers: [{ name: 'app', image: 'img' }] });
    await eventually(async () => (await getPod()).status?.phase === 'Running', 10_000, 'Running');
    await k.idle();

    // Steady state: resyncs (every second) write nothing.
    const writes = k.stats.statusWrites;
    const syncs = k.stats.syncs;
    await eventually(() => k.stats.syncs >= syncs + 2, 10_000, 'two resyncs');
    expect(k.stats.statusWrites).toBe(writes);

    const first = runtime.byName('web', 'app')[0];
    runtime.crash(first.id, 137);
    const restarted = await eventually(async () => {
      const p = await getPod();
      const s = p.status?.containerStatuses?.[0];
      return s?.restartCount === 1 && s.state.running && s;
    }, 10_000, 'restart count 1');
    expect(restarted.lastState?.terminated).toMatchObject({ exitCode: 137, containerID: `docker://${first.id}` });
    expect(runtime.byName('web', 'app')[0].id).not.toBe(first.id);

    runtime.crash(runtime.byName('web', 'app')[0].id, 1);
    const waiting = await eventually(async () => {
      const s = (await getPod()).status?.containerStatuses?.[0];
      return s?.state.waiting?.reason === 'CrashLoopBackOff' && s;
    }, 10_000, 'CrashLoopBackOff');
    expect(waiting.restartCount).toBe(1);
    expect(waiting.state.waiting?.message).toMatch(/back-off 60s/);
    expect(waiting.lastState?.terminated?.exitCode).toBe(1);
    expect(runtime.byName('web', 'app')).toHaveLength(2); // no third container while backing off
  });

  it('honours restart policies Never and OnFailure', async () => {
    const runtime = new MemoryRuntime({
      behavior: (c) => (c.labels[LABELS.podName] === 'ok' ? { exitAfterMs: 50, exitCode: 0 } : { exitAfterMs: 50, exitCode: 3 }),
    });
    const k = startKubelet(runtime, { restartBackoff: { initialMs: 100 } });
    const syncsOfBad = syncCounter(runtime, 'bad');
    await k.start();
    await bindPod({ restartPolicy: 'Never', containers: [{ name: 'app', image: 'img' }] }, 'bad');
    await bindPod({ restartPolicy: 'OnFailure', containers: [{ name: 'app', image: 'img' }] }, 'ok');
    await bindPod({ restartPolicy: 'OnFailure', containers: [{ name: 'app', image: 'img' }] }, 'retry');
    await eventually(async () => (await getPod('bad')).status?.phase === 'Failed', 10_000, 'Never + exit 3 -> Failed');
    await eventually(async () => (await getPod('ok')).status?.phase === 'Succeeded', 10_000, 'OnFailure + exit 0 -> Succeeded');
    await eventually(async () => ((await getPod('retry')).status?.containerStatuses?.[0].restartCount ?? 0) >= 2, 10_000, 'OnFailure + exit 3 restarts');
    expect(runtime.byName('bad', 'app')).toHaveLength(1);
    expect(runtime.byName('ok', 'app')).toHaveLength(1);
    // Finished pods keep no infra container running, and get no new one on later syncs.
    await eventually(async () => ['bad', 'ok'].every((p) => runtime.byName(p, 'POD').every((c) => c.state === 'exited')), 10_000, 'infra stopped');
    await moreSyncs(syncsOfBad, 2, 'the failed pod');
    expect(runtime.byName('bad', 'POD')).toHaveLength(1);
    expect(runtime.byName('bad', 'app')).toHaveLength(1);
    expect((await getPod('bad')).status?.phase).toBe('Failed');
    expect((await getPod('bad')).status?.podIP).toMatch(/^172\.30\.11\./);
    expect((await getPod('bad')).status?.containerStatuses?.[0].state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  it('reports a failed pull as ErrImagePull with an event and keeps serving other pods', async () => {
    const runtime = new MemoryRuntime({ pullFails: (img) => (img.includes('missing') ? 'manifest unknown' : undefined) });
    const k = startKubelet(runtime);
    const syncsOfBroken = syncCounter(runtime, 'broken');
    await k.start();
    await bindPod({ containers: [{ name: 'app', image: 'example/missing' }] }, 'broken');
    await bindPod({ containers: [{ name: 'app', image: 'img' }] }, 'fine');
    const s = await eventually(async () => {
      const st = (await getPod('broken')).status?.containerStatuses?.[0];
      return st?.state.waiting && ['ErrImagePull', 'ImagePullBackOff'].includes(st.state.waiting.reason ?? '') && st;
    }, 10_000, 'ErrImagePull');
    expect(s.state.waiting?.message).toMatch(/manifest unknown/);
    expect((await getPod('broken')).status?.phase).toBe('Pending');
    await eventually(async () => (await getPod('fine')).status?.phase === 'Running', 10_000, 'the other pod Running');
    await eventually(async () => (await events()).some((e) => e.reason === 'Failed' && /Failed to pull image "example\/missing"/.test(e.message)), 10_000, 'pull event');
    // Retries wait for the pull back-off (5 s initially), not a hot loop: resyncs pull nothing.
    const pulls = runtime.stats.pulls;
    await moreSyncs(syncsOfBroken, 2, 'the broken pod');
    expect(runtime.stats.pulls).toBe(pulls);
  });

  // Issue #18: what the runtime refuses shows on the pod, with an event, never a silent Pending.
  // resyncMs is a minute: what shows comes from the sync the binding started, not from a later one.
  it('shows an image reference the runtime cannot parse as InvalidImageName with an event, and asks no pull', async () => {
    const runtime = new MemoryRuntime();
    const pulls = jest.spyOn(runtime, 'pullImage');
    const k = startKubelet(runtime, { resyncMs: 60_000 });
    await bindPodPastTheDoor('spaced', { image: 'my image;$(id)' });
    await k.start();
    const waiting = await waitingWith('spaced', 'InvalidImageName');
    expect(waiting.message).toBe(`couldn't parse image reference "my image;$(id)": must not contain whitespace (a Docker image reference is [registry[:port]/]name[:tag][@digest])`);
    expect((await getPod('spaced')).status?.phase).toBe('Pending');
    const event = await eventually(async () => (await events()).find((e) => e.reason === 'InspectFailed'), 10_000, 'InspectFailed event');
    expect(event).toMatchObject({ type: 'Warning', involvedObject: { name: 'spaced' }, message: expect.stringContaining('my image;$(id)') });
    expect(pulls.mock.calls.map(([image]) => image)).not.toContain('my image;$(id)');
    expect(runtime.stats.creates).toBe(1); // the sandbox only
  });

  it('shows a reference the runtime itself refuses as InvalidImageName with the runtime\'s message', async () => {
    class Picky extends MemoryRuntime {
      override async hasImage(image: string): Promise<boolean> {
        if (image.startsWith('picky/')) throw new InvalidImageNameError(image, 'invalid reference format: repository name must be canonical');
        return super.hasImage(image);
      }
    }
    const k = startKubelet(new Picky(), { resyncMs: 60_000 });
    await k.start();
    await bindPod({ containers: [{ name: 'app', image: 'picky/app' }] }, 'picky');
    const waiting = await waitingWith('picky', 'InvalidImageName');
    expect(waiting.message).toContain('repository name must be canonical');
    await eventually(async () => (await events()).some((e) => e.reason === 'InspectFailed' && e.involvedObject.name === 'picky'), 10_000, 'event');
  });

  it('shows a container the runtime refuses to create (a 1-byte memory limit) as CreateContainerError with Docker\'s message', async () => {
    const k = startKubelet(new MemoryRuntime(), { resyncMs: 60_000 });
    await bindPodPastTheDoor('tiny', { resources: { limits: { memory: '1' } } });
    await k.start();
    const waiting = await waitingWith('tiny', 'CreateContainerError');
    expect(waiting.message).toContain('Minimum memory limit allowed is 6MB');
    const event = await eventually(async () => (await events()).find((e) => e.reason === 'Failed' && e.involvedObject.name === 'tiny'), 10_000, 'Failed event');
    expect(event.message).toContain('Minimum memory limit allowed is 6MB');
  });

  it('adopts running containers after a restart and recreates only a container whose spec changed', async () => {
    const runtime = new MemoryRuntime();
    const k1 = startKubelet(runtime);
    await k1.start();
    await bindPod({ containers: [{ name: 'a', image: 'img' }, { name: 'b', image: 'img' }] });
    await eventually(async () => (await getPod()).status?.phase === 'Running', 10_000, 'Running');
    await k1.idle();
    const before = new Map([...runtime.containers.values()].map((c) => [c.labels[LABELS.container], c.id]));
    await k1.stop();
    const creates = runtime.stats.creates;

    const k2 = startKubelet(runtime);
    await k2.start();
    await k2.idle();
    expect(runtime.stats.creates).toBe(creates);
    expect(new Map([...runtime.containers.values()].map((c) => [c.labels[LABELS.container], c.id]))).toEqual(before);

    const cur = await getPod();
    await suite.store.update<Pod>({ ...cur, spec: { ...cur.spec, containers: [cur.spec.containers[0], { name: 'b', image: 'img', args: ['--new'] }] } });
    await eventually(async () => runtime.byName('web', 'b')[0].id !== before.get('b') && runtime.byName('web', 'b')[0].state === 'running', 10_000, 'b recreated');
    expect(runtime.byName('web', 'a')[0].id).toBe(before.get('a'));
    expect(runtime.byName('web', 'POD')[0].id).toBe(before.get('POD'));
  });

  it('stops and removes the containers of a deleted pod, and of pods unbound while it was down', async () => {
    const runtime = new MemoryRuntime();
    const k1 = startKubelet(runtime);
    await k1.start();
    await bindPod({ containers: [{ name: 'a', image: 'img' }] }, 'one');
    await bindPod({ containers: [{ name: 'a', image: 'img' }] }, 'two');
    await eventually(async () => runtime.containers.size === 4, 10_000, 'four containers');
    await suite.store.delete('pods', ns, 'one');
    await eventually(async () => runtime.byName('one', 'a').length === 0 && runtime.byName('one', 'POD').length === 0, 3000, 'pod one gone');

    await k1.stop();
    await suite.store.delete('pods', ns, 'two');
    const k2 = startKubelet(runtime);
    await k2.start();
    await eventually(async () => runtime.containers.size === 0, 3000, 'orphans removed after restart');
  });

  it('starts the replacement of a deleted pod on its host port right after the old pod is torn down, not after a back-off', async () => {
    // Stops take 400 ms (app, then sandbox), so the old pod holds host port 8000 for ~0.8 s after
    // its deletion, while another worker already syncs the replacement. The sandbox back-off is 60 s.
    const runtime = new MemoryRuntime({ stopLatencyMs: 400 });
    const k = startKubelet(runtime);
    await k.start();
    const port = [{ containerPort: 80, hostPort: 8000 }];
    await bindPod({ containers: [{ name: 'app', image: 'img', ports: port }] }, 'old');
    await eventually(async () => (await getPod('old')).status?.phase === 'Running', 10_000, 'old Running');
    const [oldSandbox] = runtime.byName('old', 'POD');
    const timeline: string[] = [];
    runtime.subscribe({}, (e) => {
      if (e.labels[LABELS.container] === 'POD') timeline.push(`${e.type} ${e.labels[LABELS.podName]}`);
    });

    const t0 = Date.now();
    await suite.store.delete('pods', ns, 'old');
    await bindPod({ containers: [{ name: 'app', image: 'img', ports: port }] }, 'new');
    const waiting = await eventually(async () => {
      const s = (await getPod('new')).status?.containerStatuses?.[0];
      return s?.state.waiting && s.state.waiting;
    }, 2000, 'new waiting for the port');
    expect(waiting).toMatchObject({ reason: 'ContainerCreating', message: expect.stringMatching(new RegExp(`waiting for pod ${ns}/old .*host port 8000/TCP`)) });
    await eventually(async () => (await getPod('new')).status?.phase === 'Running', 5000, 'new Running');
    const took = Date.now() - t0;

    expect(took).toBeLessThan(3000);
    expect(runtime.containers.has(oldSandbox.id)).toBe(false);
    expect(timeline.filter((t) => / old$/.test(t) || t === 'start new')).toEqual(['die old', 'destroy old', 'start new']);
    expect(runtime.byName('new', 'POD')).toHaveLength(1); // one sandbox: no failed attempt left behind
    expect((await events()).filter((e) => e.reason === 'FailedCreatePodSandBox')).toEqual([]);
  });

  it('clears the sandbox back-off of a pod whose host port was taken as soon as the holder is torn down', async () => {
    const runtime = new MemoryRuntime();
    const k = startKubelet(runtime);
    const syncsOfSecond = syncCounter(runtime, 'second');
    await k.start();
    const port = [{ containerPort: 80, hostPort: 8000 }];
    await bindPod({ containers: [{ name: 'app', image: 'img', ports: port }] }, 'first');
    await eventually(async () => (await getPod('first')).status?.phase === 'Running', 10_000, 'first Running');
    // Bound past the scheduler onto the same port: a real conflict, so the 60 s sandbox back-off.
    await bindPod({ containers: [{ name: 'app', image: 'img', ports: port }] }, 'second');
    await eventually(async () => (await events()).some((e) => e.reason === 'FailedCreatePodSandBox' && /port is already allocated/.test(e.message)), 10_000, 'FailedCreatePodSandBox');
    await eventually(async () => /port is already allocated/.test((await getPod('second')).status?.containerStatuses?.[0].state.waiting?.message ?? ''), 10_000, 'second waiting');
    await moreSyncs(syncsOfSecond, 2, 'the second pod'); // resyncs: still backing off
    expect((await events()).filter((e) => e.reason === 'FailedCreatePodSandBox')).toHaveLength(1);

    const t0 = Date.now();
    await suite.store.delete('pods', ns, 'first');
    await eventually(async () => (await getPod('second')).status?.phase === 'Running', 5000, 'second Running');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await events()).filter((e) => e.reason === 'FailedCreatePodSandBox')).toHaveLength(1);
  });

  it('creates the app container while the sandbox starts, and removes it with a sandbox that fails to start', async () => {
    // The first sandbox's start ends (failing) only once an app container has been created in it.
    let appCreated!: () => void;
    const appCreatedInFirst = new Promise<void>((resolve) => (appCreated = resolve));
    let sandboxStarts = 0;
    const started: string[] = [];
    const runtime = new MemoryRuntime({
      sandboxStartFails: async () => (++sandboxStarts === 1 ? (await appCreatedInFirst, 'failed to set up the network namespace') : undefined),
      behavior: (config) => {
        started.push(config.name);
        return undefined;
      },
    });
    const createContainer = runtime.createContainer.bind(runtime);
    runtime.createContainer = async (config) => {
      const id = await createContainer(config);
      appCreated();
      return id;
    };
    const k = startKubelet(runtime, { restartBackoff: { initialMs: 500 } });
    await k.start();
    await bindPod({ containers: [{ name: 'app', image: 'img' }] });

    // The first sandbox fails after the app container was made in it: the pod waits, nothing is left over.
    const waiting = await waitingWith('web', 'ContainerCreating');
    expect(waiting.message).toMatch(/Failed to create pod sandbox: .*network namespace/);
    expect((await events()).some((e) => e.reason === 'FailedCreatePodSandBox')).toBe(true);
    // Then, after the back-off, a new sandbox and one app container, which started in it.
    await eventually(async () => (await getPod()).status?.phase === 'Running', 10_000, 'Running');
    const [sandbox, ...moreSandboxes] = runtime.byName('web', 'POD');
    const [app, ...moreApps] = runtime.byName('web', 'app');
    expect({ moreSandboxes, moreApps }).toEqual({ moreSandboxes: [], moreApps: [] });
    expect(app).toMatchObject({ state: 'running', config: { sandboxId: sandbox.id } });
    expect(started).toHaveLength(1); // only the second app container ever started
    expect((await events()).filter((e) => e.reason === 'Created')).toHaveLength(1);
  });

  it('runs postStart hooks after a start and preStop hooks before a stop', async () => {
    const calls: string[] = [];
    const runtime = new MemoryRuntime({ exec: (c, cmd) => (calls.push(`${c.labels[LABELS.container]}:${cmd.join(' ')}`), { exitCode: 0, output: '' }) });
    const k = startKubelet(runtime);
    await k.start();
    await bindPod({ containers: [{ name: 'app', image: 'img', lifecycle: { postStart: { exec: { command: ['post'] } }, preStop: { exec: { command: ['pre'] } } } }] });
    await eventually(async () => (await getPod()).status?.phase === 'Running', 10_000, 'Running');
    expect(calls).toEqual(['app:post']);
    await suite.store.delete('pods', ns, 'web');
    await eventually(async () => runtime.containers.size === 0, 10_000, 'containers removed');
    expect(calls).toEqual(['app:post', 'app:pre']);
  });

  it('runs many hollow kubelets in one process, their status writes several to an etcd transaction', async () => {
    const count = 40;
    const hollow = Array.from({ length: count }, (_, i) => startKubelet(new MemoryRuntime(), { minion: `hollow-${ns}-${i}`, resyncMs: 10_000, heartbeatMs: 10_000 }));
    const t0 = Date.now();
    await Promise.all(hollow.map((k) => k.start()));
    const statusBatches = jest.spyOn(suite.store, 'updateStatusMany');
    try {
      await Promise.all(hollow.flatMap((k, i) => [bindPod({ containers: [{ name: 'a', image: 'img' }] }, `h${i}-a`, k.minion), bindPod({ containers: [{ name: 'a', image: 'img' }] }, `h${i}-b`, k.minion)]));
      await eventually(async () => {
        const pods = (await suite.store.list<Pod>('pods', { namespace: ns })).items;
        return pods.length === 2 * count && pods.every((p) => p.status?.phase === 'Running');
      }, 20_000, `${2 * count} pods Running on ${count} hollow minions`);
      // Every pod's status went through the batcher the kubelets on this store share, in fewer
      // calls (one etcd txn each) than writes.
      const written = statusBatches.mock.calls.flatMap(([updates]) => updates.map((u) => u.obj.metadata.name));
      expect(new Set(written)).toEqual(new Set(hollow.flatMap((_, i) => [`h${i}-a`, `h${i}-b`])));
      expect(statusBatches.mock.calls.length).toBeLessThan(written.length);
    } finally {
      statusBatches.mockRestore();
    }
    const minions = (await suite.store.list<Minion>('minions')).items.filter((m) => m.metadata.name.startsWith(`hollow-${ns}-`));
    expect(minions).toHaveLength(count);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});

describe('Kubelet across an etcd outage', () => {
  it('resumes the heartbeat and the pod sync after etcd comes back', async () => {
    ns = 'outage';
    const runtime = new MemoryRuntime();
    const k = startKubelet(runtime, { minion: 'm-outage', heartbeatMs: 300, leaseTtlSeconds: 3 });
    await k.start();
    await bindPod({ containers: [{ name: 'a', image: 'img' }] }, 'before', 'm-outage');
    await eventually(async () => (await getPod('before')).status?.phase === 'Running', 10_000, 'Running before the outage');

    const watchErrors = k.informer.stats().errors;
    await suite.etcd.kill();
    await eventually(() => k.informer.stats().errors > watchErrors, 15_000, 'the kubelet noticing the outage (its watch failed)');
    const beatBefore = k.heartbeat.lastBeatAt!;
    await suite.etcd.restart();

    await eventually(async () => k.heartbeat.lastBeatAt! > beatBefore, 20_000, 'a heartbeat after the outage');
    const m = await suite.store.get<Minion>('minions', undefined, 'm-outage');
    expect(Date.parse(m.status!.conditions!.find((c) => c.type === 'Ready')!.lastHeartbeatTime!)).toBeGreaterThan(beatBefore - 1000);
    expect(await suite.client.get(minionLeaseKey('m-outage')).exists()).toBe(true);
    await bindPod({ containers: [{ name: 'a', image: 'img' }] }, 'after', 'm-outage');
    await eventually(async () => (await getPod('after')).status?.phase === 'Running', 20_000, 'a pod bound after the outage Running');
  });
});

