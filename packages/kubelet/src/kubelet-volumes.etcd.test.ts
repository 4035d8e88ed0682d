// The kubelet's pod volumes over the in-memory runtime (mounts recorded, not performed) and a real
// etcd: directories under its root, configMap/secret files written and updated in place, env from
// ConfigMaps, Secrets and the pod's own fields, a missing Secret waited for, hostPath refused outside
// --allowed-host-paths, and every pod directory removed with its pod.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { etcdRegistryForSuite, eventually } from '@coxswain/testing';
import type { Registry } from '@coxswain/registry';
import type { ConfigMap, Event, Pod, Secret } from '@coxswain/objects';
import { EventRecorder } from '@coxswain/client';
import { Kubelet } from './kubelet';
import { MemoryRuntime } from './memory-runtime';
import { RecordedTmpfs } from './tmpfs';

jest.setTimeout(30_000);

const suite = etcdRegistryForSuite({ watchProgressIntervalMs: 1000 });
let root: string;
let allowed: string;
let n = 0;
let ns: string;
let running: Kubelet[] = [];

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelet-volumes-'));
  allowed = path.join(root, 'allowed');
});
afterAll(async () => {
  fs.rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  ns = `kv${++n}`;
});
afterEach(async () => {
  await Promise.all(running.map((k) => k.stop()));
  running = [];
});

async function kubelet(runtime: MemoryRuntime, tmpfs?: RecordedTmpfs, kubeletStore: Registry = suite.store): Promise<Kubelet> {
  const minion = `m-${ns}`;
  const k = new Kubelet({
    minion, address: '127.0.1.12', podCIDR: '172.30.12.0/24', store: kubeletStore, runtime,
    recorder: new EventRecorder({ store: suite.store, component: 'kubelet', host: minion }),
    resyncMs: 500, heartbeatMs: 500, rootDir: path.join(root, 'kubelet'), allowedHostPaths: [allowed], tmpfs,
  });
  running.push(k);
  await k.start();
  return k;
}

async function runPod(spec: Pod['spec'], name = 'web'): Promise<Pod> {
  const p = await suite.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec });
  await suite.store.bind(ns, name, `m-${ns}`, p.metadata.resourceVersion!);
  return p;
}

const pod = () => suite.store.get<Pod>('pods', ns, 'web');
const waiting = async () => (await pod()).status?.containerStatuses?.[0]?.state.waiting;
const configMap = (data: Record<string, string>): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', namespace: ns }, data });
const secret = (password: string): Secret => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: ns }, stringData: { password } });
const envOf = (runtime: MemoryRuntime, container: string) => Object.fromEntries(runtime.byName('web', container)[0]!.config!.env.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

it('mounts an emptyDir in both containers and configMap/secret files; env from both; a ConfigMap change reaches the file in place; the pod directory goes with the pod', async () => {
  await suite.store.create(configMap({ 'app.conf': 'v1\n', mode: 'fast' }));
  await suite.store.create(secret('s3cr3t'));
  const runtime = new MemoryRuntime();
  await kubelet(runtime);
  const created = await runPod({
    volumes: [{ name: 'shared', emptyDir: {} }, { name: 'conf', configMap: { name: 'web' } }, { name: 'creds', secret: { secretName: 'db', defaultMode: 0o400 } }],
    containers: [
      {
        name: 'writer', image: 'img',
        volumeMounts: [{ name: 'shared', mountPath: '/data' }, { name: 'conf', mountPath: '/etc/app', readOnly: true }, { name: 'creds', mountPath: '/secrets' }],
        env: [
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'web', key: 'mode' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        ],
        envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'web' } }],
      },
      { name: 'reader', image: 'img', volumeMounts: [{ name: 'shared', mountPath: '/in', readOnly: true }] },
    ],
  });
  await eventually(async () => (await pod()).status?.phase === 'Running', 10_000, 'pod Running');
  const podDir = path.join(root, 'kubelet', 'pods', created.metadata.uid!);
  const writer = runtime.byName('web', 'writer')[0]!;
  expect(writer.config!.mounts).toEqual([
    { hostPath: path.join(podDir, 'volumes/empty-dir/shared'), containerPath: '/data', readOnly: false },
    { hostPath: path.join(podDir, 'volumes/configmap/conf'), containerPath: '/etc/app', readOnly: true },
    { hostPath: path.join(podDir, 'volumes/secret/creds'), containerPath: '/secrets', readOnly: false },
  ]);
  expect(runtime.byName('web', 'reader')[0]!.config!.mounts).toEqual([{ hostPath: path.join(podDir, 'volumes/empty-dir/shared'), containerPath: '/in', readOnly: true }]);
  expect(envOf(runtime, 'writer')).toMatchObject({ MODE: 'fast', PASSWORD: 's3cr3t', POD: 'web', POD_NS: ns, CFG_mode: 'fast' });
  expect(fs.readFileSync(path.join(podDir, 'volumes/configmap/conf/app.conf'), 'utf8')).toBe('v1\n');
  expect(fs.readlinkSync(path.join(podDir, 'volumes/configmap/conf/app.conf'))).toBe('..data/app.conf');
  const secretFile = path.join(podDir, 'volumes/secret/creds/password');
  expect(fs.readFileSync(secretFile, 'utf8')).toBe('s3cr3t');
  expect(fs.statSync(secretFile).mode & 0o777).toBe(0o400);

  // Changed through the store: the file follows, the container is not restarted.
  await suite.store.update({ ...(await suite.store.get<ConfigMap>('configmaps', ns, 'web')), data: { 'app.conf': 'v2\n' } });
  await eventually(() => fs.readFileSync(path.join(podDir, 'volumes/configmap/conf/app.conf'), 'utf8') === 'v2\n', 10_000, 'app.conf updated');
  expect(fs.existsSync(path.join(podDir, 'volumes/configmap/conf/mode'))).toBe(false);
  expect(runtime.byName('web', 'writer').map((c) => c.id)).toEqual([writer.id]);

  await suite.store.delete('pods', ns, 'web');
  await eventually(() => !fs.existsSync(podDir), 10_000, 'the pod directory removed');
});

it('keeps a pod Pending with CreateContainerConfigError naming a missing Secret, and starts it once the Secret exists', async () => {
  const runtime = new MemoryRuntime();
  await kubelet(runtime);
  await runPod({ containers: [{ name: 'app', image: 'img', env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] }] });
  await eventually(async () => (await waiting())?.reason === 'CreateContainerConfigError', 10_000, 'CreateContainerConfigError');
  expect(await waiting()).toEqual({ reason: 'CreateContainerConfigError', message: 'secret "db" not found' });
  expect((await pod()).status?.phase).toBe('Pending');
  expect(runtime.byName('web', 'app')).toEqual([]);
  await suite.store.create(secret('late'));
  await eventually(async () => (await pod()).status?.phase === 'Running', 10_000, 'pod Running once the Secret exists');
  expect(envOf(runtime, 'app').PASSWORD).toBe('late');
  // The value is in no event.
  const events = (await suite.store.list<Event>('events', { namespace: ns })).items;
  expect(events.some((e) => e.message?.includes('secret "db" not found'))).toBe(true);
  expect(JSON.stringify(events)).not.toContain('late');
});

it('refuses a hostPath outside --allowed-host-paths with the reason, and mounts one under it', async () => {
  const runtime = new MemoryRuntime();
  await kubelet(runtime);
  await runPod({ volumes: [{ name: 'etc', hostPath: { path: '/etc' } }], containers: [{ name: 'app', image: 'img', volumeMounts: [{ name: 'etc', mountPath: '/host-etc' }] }] });
  await eventually(async () => (await waiting())?.reason === 'CreateContainerConfigError', 10_000, 'hostPath refused');
  expect((await waiting())?.message).toBe(`hostPath volume "etc": /etc is not under an allowed host path (kubelet --allowed-host-paths: ${allowed})`);
  const events = (await suite.store.list<Event>('events', { namespace: ns })).items;
  expect(events).toContainEqual(expect.objectContaining({ reason: 'FailedMount', type: 'Warning' }));
  expect(runtime.byName('web', 'app')).toEqual([]);

  await suite.store.delete('pods', ns, 'web');
  await eventually(async () => (await suite.store.list('pods', { namespace: ns })).items.length === 0, 10_000, 'pod gone');
  const data = path.join(allowed, ns, 'redis');
  await runPod({ volumes: [{ name: 'data', hostPath: { path: data } }], containers: [{ name: 'app', image: 'img', volumeMounts: [{ name: 'data', mountPath: '/data', subPath: 'db' }] }] });
  await eventually(async () => (await pod()).status?.phase === 'Running', 10_000, 'pod Running');
  expect(runtime.byName('web', 'app')[0]!.config!.mounts).toEqual([{ hostPath: path.join(data, 'db'), containerPath: '/data', readOnly: false }]);
  expect(fs.statSync(path.join(data, 'db')).isDirectory()).toBe(true);
});

it('a restarted kubelet adopts the running pod and keeps its emptyDir data', async () => {
  const runtime = new MemoryRuntime();
  const first = await kubelet(runtime);
  const created = await runPod({ volumes: [{ name: 'scratch', emptyDir: {} }], containers: [{ name: 'app', image: 'img', volumeMounts: [{ name: 'scratch', mountPath: '/s' }] }] });
  await eventually(async () => (await pod()).status?.phase === 'Running', 10_000, 'pod Running');
  const file = path.join(root, 'kubelet', 'pods', created.metadata.uid!, 'volumes/empty-dir/scratch/state');
  fs.writeFileSync(file, 'kept');
  const id = runtime.byName('web', 'app')[0]!.id;
  await first.stop();
  running = running.filter((k) => k !== first);
  const second = await kubelet(runtime);
  await second.idle();
  expect(runtime.byName('web', 'app').map((c) => c.id)).toEqual([id]);
  expect(fs.readFileSync(file, 'utf8')).toBe('kept');
});

it('mounts a tmpfs for a memory emptyDir, sized by its sizeLimit or else the pod\'s memory limit, and unmounts it before the directory goes', async () => {
  const runtime = new MemoryRuntime();
  const tmpfs = new RecordedTmpfs();
  await kubelet(runtime, tmpfs);
  const created = await runPod({
    volumes: [{ name: 'small', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }, { name: 'podsized', emptyDir: { medium: 'Memory' } }, { name: 'disk', emptyDir: {} }],
    containers: [
      { name: 'a', image: 'img', resources: { limits: { memory: '64Mi' } }, volumeMounts: [{ name: 'small', mountPath: '/s' }, { name: 'podsized', mountPath: '/p' }] },
      { name: 'b', image: 'img', resources: { limits: { memory: '32Mi' } }, volumeMounts: [{ name: 'small', mountPath: '/s' }, { name: 'disk', mountPath: '/d' }] },
    ],
  });
  await eventually(async () => (await pod()).status?.phase === 'Running', 10_000, 'pod Running');
  const volumes = path.join(root, 'kubelet', 'pods', created.metadata.uid!, 'volumes', 'empty-dir');
  expect(Object.fromEntries(tmpfs.mounts)).toEqual({ [path.join(volumes, 'small')]: 1024 * 1024, [path.join(volumes, 'podsized')]: 96 * 1024 * 1024 });
  // Both containers mount the one directory (the one tmpfs).
  expect(runtime.byName('web', 'b')[0]!.config!.mounts?.[0]).toEqual({ hostPath: path.join(volumes, 'small'), containerPath: '/s', readOnly: false });

  await suite.store.delete('pods', ns, 'web');
  await eventually(() => !fs.existsSync(path.join(root, 'kubelet', 'pods', created.metadata.uid!)), 10_000, 'the pod directory removed');
  expect(tmpfs.mounts.size).toBe(0);
});

it('watches the ConfigMaps and Secrets of its pods, one watch per kind and namespace shared by the pods, instead of reading them at every sync; drops a watch no pod needs', async () => {
  await suite.store.create(configMap({ 'app.conf': 'v1\n' }));
  await suite.store.create(secret('s3cr3t'));
  // The kubelet's store, counting the ConfigMap and Secret reads that go past the watches.
  let reads = 0;
  const counting = new Proxy(suite.store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'get' && typeof value === 'function') {
        return (resource: string, ...rest: unknown[]) => {
          if (resource === 'configmaps' || resource === 'secrets') reads++;
          return (value as (...a: unknown[]) => unknown).call(target, resource, ...rest);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const runtime = new MemoryRuntime();
  const k = await kubelet(runtime, undefined, counting);
  const spec = (): Pod['spec'] => ({
    volumes: [{ name: 'conf', configMap: { name: 'web' } }],
    containers: [{ name: 'app', image: 'img', volumeMounts: [{ name: 'conf', mountPath: '/etc/app' }], env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] }],
  });
  const a = await runPod(spec(), 'a');
  const b = await runPod(spec(), 'b');
  const phase = async (name: string) => (await suite.store.get<Pod>('pods', ns, name)).status?.phase;
  await eventually(async () => (await phase('a')) === 'Running' && (await phase('b')) === 'Running', 10_000, 'both pods Running');
  expect(k.configWatchKeys()).toEqual([`configmaps/${ns}`, `secrets/${ns}`]);
  const syncs = k.stats.syncs;
  await eventually(() => k.stats.syncs >= syncs + 4, 10_000, 'more periodic syncs'); // resyncMs 500
  expect(reads).toBe(0);

  // A change reaches both pods' files through the watch.
  await suite.store.update({ ...(await suite.store.get<ConfigMap>('configmaps', ns, 'web')), data: { 'app.conf': 'v2\n' } });
  const file = (p: Pod) => path.join(root, 'kubelet', 'pods', p.metadata.uid!, 'volumes/configmap/conf/app.conf');
  await eventually(() => fs.readFileSync(file(a), 'utf8') === 'v2\n' && fs.readFileSync(file(b), 'utf8') === 'v2\n', 10_000, 'both files updated');

  await suite.store.delete('pods', ns, 'a');
  await eventually(() => !fs.existsSync(file(a)), 10_000, 'a gone');
  expect(k.configWatchKeys()).toEqual([`configmaps/${ns}`, `secrets/${ns}`]); // b still needs them
  await suite.store.delete('pods', ns, 'b');
  await eventually(() => k.configWatchKeys().length === 0, 10_000, 'the watches dropped with the last pod');
  expect(reads).toBe(0);
});
