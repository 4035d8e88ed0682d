// Pod volumes, ConfigMaps and Secrets on a real cluster (`coxswain up --minions 1` on Docker, every
// component a child process): two containers sharing an emptyDir that outlives a `docker kill` of the
// writer and goes with the pod; Redis keeping its keys on an allowed hostPath across pod deletion and
// re-creation; a hostPath outside the allow-list refused with the reason; a mounted ConfigMap file
// changing in the running container; env from ConfigMap and Secret keys; a pod waiting for a missing
// Secret; and the Secret's value in no describe output, event or component log, nor in etcd (where
// `coxswain up` keeps Secrets encrypted with the key it made in its data dir). A memory emptyDir is a
// tmpfs both containers share, with its size limit.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EtcdCredentials } from '@coxswain/process';
import { createEtcdClient } from '@coxswain/store';
import type { ApiClient } from '@coxswain/client';
import type { ConfigMap, Event, Pod } from '@coxswain/objects';
import { eventually } from '@coxswain/testing';
import { startDockerCluster, type DockerCluster } from './support/docker-cluster';
import { IMAGES } from './support/images';
import { mustSucceed, type Kubecfg } from './support/kubecfg';

jest.setTimeout(180_000);

let env: DockerCluster | undefined;
let api: ApiClient;
let kubecfg: Kubecfg;
const hostRoot = mkdtempSync(path.join(os.tmpdir(), 'coxswain-e2e-hostpaths-'));
const SECRET_VALUE = 'pa55-e2e-never-shown';

beforeAll(async () => {
  env = await startDockerCluster({ name: 'volumes', minions: 1, port: 18480, etcdPort: 12679, healthzPortBase: 18451, options: { allowedHostPaths: [hostRoot] } });
  ({ api, kubecfg } = env);
}, 5 * 60_000);

afterAll(async () => {
  try {
    if (env) expect(await env.stop()).toEqual({ containers: [], networks: [] });
  } finally {
    rmSync(hostRoot, { recursive: true, force: true });
  }
});

const podDir = (uid: string) => path.join(env!.tmp, 'data', 'kubelet', 'minion-1', 'pods', uid);

/** The running Docker container of a pod's container, by the kubelet's labels. */
function containerId(pod: string, container: string): string {
  const ids = execFileSync('docker', ['ps', '-q', '--filter', `label=coxswain.pod.name=${pod}`, '--filter', `label=coxswain.container.name=${container}`], { encoding: 'utf8' }).trim();
  return ids.split('\n')[0] ?? '';
}

function dockerExec(pod: string, container: string, ...command: string[]): string {
  return execFileSync('docker', ['exec', containerId(pod, container), ...command], { encoding: 'utf8' });
}

async function running(name: string): Promise<Pod> {
  return eventually(async () => {
    const p = await api.get<Pod>('pods', name);
    return p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.state.running) && containerId(name, p.spec.containers[0]!.name) !== '' && p;
  }, 90_000, `${name} Running`, 250);
}

async function deleted(name: string): Promise<void> {
  await api.delete('pods', name);
  await eventually(async () => !(await api.list<Pod>('pods')).items.some((p) => p.metadata.name === name) && containerId(name, 'main') === '', 60_000, `${name} gone`, 250);
}

const busybox = (name: string, script: string, extra: object = {}) => ({ name, image: IMAGES.busybox, command: ['sh', '-c', script], ...extra });

it('two containers share an emptyDir; it survives a docker kill of the writer; its directory is gone within 5 s of the pod\'s deletion', async () => {
  await api.create('pods', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'shared' },
    spec: {
      volumes: [{ name: 'scratch', emptyDir: {} }],
      containers: [
        busybox('writer', 'echo "start $(cat /proc/sys/kernel/random/uuid)" >> /out/log; trap "exit 0" TERM; while :; do sleep 1; done', { volumeMounts: [{ name: 'scratch', mountPath: '/out' }] }),
        busybox('reader', 'trap "exit 0" TERM; while :; do sleep 1; done', { volumeMounts: [{ name: 'scratch', mountPath: '/in', readOnly: true }] }),
      ],
    },
  });
  const pod = await running('shared');
  const first = await eventually(() => dockerExec('shared', 'reader', 'cat', '/in/log').trim(), 10_000, 'the writer\'s line in the reader');
  expect(first).toMatch(/^start [0-9a-f-]{36}$/);
  expect(() => dockerExec('shared', 'reader', 'touch', '/in/x')).toThrow(/Read-only file system/);

  execFileSync('docker', ['kill', containerId('shared', 'writer')]);
  const lines = await eventually(() => {
    const l = dockerExec('shared', 'reader', 'cat', '/in/log').trim().split('\n');
    return l.length === 2 && l;
  }, 60_000, 'the restarted writer\'s second line', 250);
  expect(lines[0]).toBe(first);
  expect((await api.get<Pod>('pods', 'shared')).status?.containerStatuses?.find((c) => c.name === 'writer')?.restartCount).toBe(1);

  const dir = podDir(pod.metadata.uid!);
  expect(existsSync(path.join(dir, 'volumes', 'empty-dir', 'scratch', 'log'))).toBe(true);
  await api.delete('pods', 'shared');
  // The delete takes the containers' grace period first; from the pod object's disappearance, 5 s.
  await eventually(async () => !(await api.list<Pod>('pods')).items.some((p) => p.metadata.name === 'shared') && containerId('shared', 'writer') === '', 60_000, 'shared gone', 100);
  await eventually(() => !existsSync(dir), 5_000, 'the pod directory removed within 5 s', 100);
});

it('a memory emptyDir is a tmpfs shared by the pod\'s containers, counted as the writer\'s memory; writing past its sizeLimit fails with ENOSPC; it is unmounted with the pod', async () => {
  await api.create('pods', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ram' },
    spec: {
      volumes: [{ name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }],
      containers: [
        busybox('writer', 'trap "exit 0" TERM; while :; do sleep 1; done', { volumeMounts: [{ name: 'mem', mountPath: '/mem' }] }),
        busybox('reader', 'trap "exit 0" TERM; while :; do sleep 1; done', { volumeMounts: [{ name: 'mem', mountPath: '/mem', readOnly: true }] }),
      ],
    },
  });
  try {
    const pod = await running('ram');
    const mounted = dockerExec('ram', 'writer', 'sh', '-c', 'mount | grep " /mem "').trim();
    expect(mounted).toMatch(/^tmpfs on \/mem type tmpfs \(.*size=1024k/);
    // Its pages count as the writing container's memory (its cgroup's shmem), as in Kubernetes.
    const shmem = () => Number(/^shmem (\d+)$/m.exec(dockerExec('ram', 'writer', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.stat 2>/dev/null || cat /sys/fs/cgroup/memory.stat'))?.[1]);
    const shmemBefore = shmem();
    dockerExec('ram', 'writer', 'dd', 'if=/dev/zero', 'of=/mem/half', 'bs=1024', 'count=512');
    expect(shmem() - shmemBefore).toBeGreaterThanOrEqual(512 * 1024);
    // 2 MiB more into a 1 MiB tmpfs: the write fails with ENOSPC, and only what fits is there.
    let failure = '';
    try {
      dockerExec('ram', 'writer', 'dd', 'if=/dev/zero', 'of=/mem/big', 'bs=1024', 'count=2048');
    } catch (e) {
      failure = String((e as { stderr?: string }).stderr);
    }
    expect(failure).toMatch(/error writing '\/mem\/big': No space left on device/);
    // The reader sees the writer's files: one tmpfs, mounted read-only in it.
    const sizes = dockerExec('ram', 'reader', 'sh', '-c', 'wc -c < /mem/half; wc -c < /mem/big').trim().split('\n').map(Number);
    expect(sizes[0]).toBe(512 * 1024);
    expect(sizes[1]).toBeGreaterThan(0);
    expect(sizes[0]! + sizes[1]!).toBeLessThanOrEqual(1024 * 1024);
    expect(dockerExec('ram', 'reader', 'sh', '-c', 'mount | grep " /mem "')).toMatch(/^tmpfs on \/mem type tmpfs \(ro,/);

    const dir = path.join(podDir(pod.metadata.uid!), 'volumes', 'empty-dir', 'mem');
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).toContain(` ${dir} `);
    await deleted('ram');
    await eventually(() => !existsSync(podDir(pod.metadata.uid!)), 5_000, 'the pod directory removed', 100);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(dir);
  } finally {
    // The kubelet unmounts the tmpfs with the pod; a failed check must not leave it mounted.
    await api.delete('pods', 'ram').catch(() => undefined);
  }
});

it('Redis on an allowed hostPath keeps its keys across pod deletion and re-creation; a hostPath outside the allow-list is refused with the reason', async () => {
  const redis = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'redis' },
    spec: {
      volumes: [{ name: 'data', hostPath: { path: path.join(hostRoot, 'redis') } }],
      containers: [{
        name: 'main', image: IMAGES.redis, command: ['/usr/bin/redis-server'],
        args: ['--protected-mode', 'no', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', '/data'],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      }],
    },
  };
  await api.create('pods', redis);
  await running('redis');
  await eventually(() => dockerExec('redis', 'main', 'redis-cli', 'PING').trim() === 'PONG', 30_000, 'redis answers');
  expect(dockerExec('redis', 'main', 'redis-cli', 'SET', 'guest', 'book').trim()).toBe('OK');
  await deleted('redis');
  await api.create('pods', redis);
  await running('redis');
  const value = await eventually(() => {
    try {
      return dockerExec('redis', 'main', 'redis-cli', 'GET', 'guest').trim();
    } catch {
      return undefined; // still loading
    }
  }, 30_000, 'redis answers again');
  expect(value).toBe('book');
  await deleted('redis');

  await api.create('pods', { ...redis, metadata: { name: 'escape' }, spec: { ...redis.spec, volumes: [{ name: 'data', hostPath: { path: '/etc' } }] } });
  const waiting = await eventually(async () => {
    const w = (await api.get<Pod>('pods', 'escape')).status?.containerStatuses?.[0]?.state.waiting;
    return w?.reason === 'CreateContainerConfigError' && w;
  }, 30_000, 'escape refused', 250);
  expect(waiting.message).toBe(`hostPath volume "data": /etc is not under an allowed host path (kubelet --allowed-host-paths: ${hostRoot})`);
  expect((await api.get<Pod>('pods', 'escape')).status?.phase).toBe('Pending');
  expect(await mustSucceed(kubecfg, 'describe', 'pod', 'escape')).toMatch(/FailedMount.*\/etc is not under an allowed host path/);
  expect(containerId('escape', 'main')).toBe('');
  await deleted('escape');
});

it('a mounted ConfigMap file changes in the running container within 60 s, without a restart; env comes from ConfigMap and Secret keys; a missing Secret keeps the pod Pending until it exists', async () => {
  await api.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' }, data: { greeting: 'hello', mode: 'fast' } });
  await api.create('pods', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' },
    spec: {
      volumes: [{ name: 'conf', configMap: { name: 'web' } }],
      containers: [busybox('main', 'trap "exit 0" TERM; while :; do sleep 1; done', {
        volumeMounts: [{ name: 'conf', mountPath: '/etc/web', readOnly: true }],
        env: [
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'web', key: 'mode' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
        ],
      })],
    },
  });
  const waiting = await eventually(async () => {
    const w = (await api.get<Pod>('pods', 'web')).status?.containerStatuses?.[0]?.state.waiting;
    return w?.reason === 'CreateContainerConfigError' && w;
  }, 30_000, 'web waiting for its Secret', 250);
  expect(waiting.message).toBe('secret "db" not found');
  expect((await api.get<Pod>('pods', 'web')).status?.phase).toBe('Pending');
  expect(containerId('web', 'main')).toBe('');

  await mustSucceed(kubecfg, 'create', 'secret', 'generic', 'db', '--from-literal', `password=${SECRET_VALUE}`);
  await running('web');
  expect(dockerExec('web', 'main', 'cat', '/etc/web/greeting')).toBe('hello');
  expect(dockerExec('web', 'main', 'sh', '-c', 'echo "$MODE/$PASSWORD"').trim()).toBe(`fast/${SECRET_VALUE}`);
  const id = containerId('web', 'main');

  const cm = await api.get<ConfigMap>('configmaps', 'web');
  await api.update('configmaps', { ...cm, data: { ...cm.data, greeting: 'bye' } });
  const changedAt = Date.now();
  await eventually(() => dockerExec('web', 'main', 'cat', '/etc/web/greeting') === 'bye', 60_000, 'greeting changed in the container', 250);
  console.log(`volumes e2e: ConfigMap change seen in the container after ${Date.now() - changedAt} ms`);
  expect(containerId('web', 'main')).toBe(id);
  expect((await api.get<Pod>('pods', 'web')).status?.containerStatuses?.[0]?.restartCount).toBe(0);

  // The Secret's value: in no describe output, event or component log.
  const described = (await mustSucceed(kubecfg, 'describe', 'secret', 'db')) + (await mustSucceed(kubecfg, 'describe', 'pod', 'web'));
  expect(described).toMatch(/password:\s+\d+ bytes/);
  expect(described).not.toContain(SECRET_VALUE);
  expect(described).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
  const events = (await api.list<Event>('events')).items;
  expect(events.length).toBeGreaterThan(0);
  expect(JSON.stringify(events)).not.toContain(SECRET_VALUE);
  const logs = path.join(env!.tmp, 'data', 'logs');
  for (const f of readdirSync(logs)) expect(readFileSync(path.join(logs, f), 'utf8')).not.toContain(SECRET_VALUE);
  // Nor in etcd: encrypted with the key `coxswain up` made (0600) in its data dir.
  // etcd wants a client certificate: the API server's, from up's pki.
  const etcd = createEtcdClient(env!.cluster.etcdServers, { tls: new EtcdCredentials(path.join(env!.tmp, 'data', 'pki')).client('apiserver') });
  try {
    const stored = await etcd.get('/registry/secrets/default/db').buffer();
    expect(stored?.toString('latin1')).toMatch(/^k8s:enc:aesgcm:v1:key-\d{4}-\d\d-\d\d:/);
    expect(stored!.includes(Buffer.from(SECRET_VALUE))).toBe(false);
    expect(stored!.includes(Buffer.from(Buffer.from(SECRET_VALUE).toString('base64')))).toBe(false);
  } finally {
    etcd.close();
  }
  expect(statSync(path.join(env!.tmp, 'data', 'encryption-config.yaml')).mode & 0o777).toBe(0o600);
  await deleted('web');
});

it('a namespace holding an encrypted Secret is emptied and removed: the namespace controller reads Secrets with the key `coxswain up` gave it', async () => {
  await api.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'vault' } });
  await api.create('secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace: 'vault' }, stringData: { token: SECRET_VALUE } }, { namespace: 'vault' });
  await api.delete('namespaces', 'vault');
  await eventually(async () => !(await api.list<{ metadata: { name: string } }>('namespaces')).items.some((n) => n.metadata.name === 'vault'), 60_000, 'namespace vault removed', 250);
});
