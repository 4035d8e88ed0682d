// Pod volumes over HTTP on real etcd: v1 pods with emptyDir, hostPath, configMap and secret volumes,
// mounts and env sources stored as sent; 2014's v1beta1 `source: {emptyDir | hostDir}` converted both
// ways; bad volumes and mounts refused with a 422 naming the field (in the client's own terms),
// nothing written.
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

let fx: ApiFixture;
beforeAll(async () => {
  fx = await startApiFixture();
});
afterAll(() => fx?.stop());

const V1 = '/api/v1/namespaces/default/pods';
const V1BETA1 = '/api/v1beta1/pods';

const volumes = [
  { name: 'scratch', emptyDir: {} },
  { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
  { name: 'data', hostPath: { path: '/var/lib/coxswain-test/redis' } },
  { name: 'config', configMap: { name: 'web', items: [{ key: 'nginx.conf', path: 'conf/nginx.conf', mode: 0o644 }], defaultMode: 0o444 } },
  { name: 'creds', secret: { secretName: 'db', optional: true } },
];
const container = {
  name: 'web',
  image: 'nginx',
  volumeMounts: [
    { name: 'scratch', mountPath: '/scratch' },
    { name: 'config', mountPath: '/etc/nginx/nginx.conf', subPath: 'conf/nginx.conf', readOnly: true },
  ],
  env: [
    { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'web', key: 'mode' } } },
    { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  ],
  envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'web' } }],
};
const v1Pod = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec });

it('stores a v1 pod\'s volumes, mounts and env sources as sent, and serves them in v1beta1 as 2014 wrote them', async () => {
  const created = await call(fx.url, 'POST', V1, v1Pod('web', { volumes, containers: [container] }));
  expect(created.status).toBe(201);
  expect(created.json.spec.volumes).toEqual(volumes);
  expect(created.json.spec.containers[0]).toMatchObject(container);
  const old = await call(fx.url, 'GET', `${V1BETA1}/web`);
  expect(old.json.desiredState.manifest.volumes).toEqual([
    { name: 'scratch', source: { emptyDir: {} } },
    { name: 'cache', source: { emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } } },
    { name: 'data', source: { hostDir: { path: '/var/lib/coxswain-test/redis' } } },
    { name: 'config', source: { configMap: volumes[3]!.configMap } },
    { name: 'creds', source: { secret: { secretName: 'db', optional: true } } },
  ]);
  expect(old.json.desiredState.manifest.containers[0].volumeMounts).toEqual(container.volumeMounts);
  // A v1beta1 round trip (GET, PUT back) loses nothing.
  expect((await call(fx.url, 'PUT', `${V1BETA1}/web`, old.json)).status).toBe(200);
  const again = await call(fx.url, 'GET', `${V1}/web`);
  expect(again.json.spec.volumes).toEqual(volumes);
  expect(again.json.spec.containers[0]).toMatchObject(container);
  expect((await call(fx.url, 'DELETE', `${V1}/web`)).status).toBe(200);
});

it('takes 2014\'s v1beta1 volumes (hostDir, a mount\'s path) into v1 form', async () => {
  const pod = {
    id: 'redis',
    kind: 'Pod',
    apiVersion: 'v1beta1',
    desiredState: {
      manifest: {
        version: 'v1beta1',
        id: 'redis',
        volumes: [{ name: 'data', source: { hostDir: { path: '/var/lib/redis' } } }, { name: 'tmp', source: { emptyDir: {} } }],
        containers: [{ name: 'redis', image: 'redis', volumeMounts: [{ name: 'data', path: '/data' }, { name: 'tmp', mountPath: '/tmp', readOnly: false }] }],
      },
    },
  };
  expect((await call(fx.url, 'POST', V1BETA1, pod)).status).toBe(201);
  const v1 = await call(fx.url, 'GET', `${V1}/redis`);
  expect(v1.json.spec.volumes).toEqual([{ name: 'data', hostPath: { path: '/var/lib/redis' } }, { name: 'tmp', emptyDir: {} }]);
  expect(v1.json.spec.containers[0].volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }, { name: 'tmp', mountPath: '/tmp', readOnly: false }]);
  expect((await call(fx.url, 'DELETE', `${V1}/redis`)).status).toBe(200);
});

const mount = (name: string, mountPath = '/m') => ({ name: 'c', image: 'busybox', volumeMounts: [{ name, mountPath }] });
it.each([
  ['a mount naming no volume', { containers: [mount('nope')] }, 'spec.containers[0].volumeMounts[0].name', /no volume named "nope"/],
  ['two volumes with one name', { volumes: [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }], containers: [mount('v')] }, 'spec.volumes[1].name', /duplicate volume name "v"/],
  ['a volume with no source', { volumes: [{ name: 'v' }], containers: [mount('v')] }, 'spec.volumes[0]', /exactly one source/],
  ['a volume with two sources', { volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }], containers: [mount('v')] }, 'spec.volumes[0]', /has emptyDir, hostPath/],
  ['a relative hostPath', { volumes: [{ name: 'v', hostPath: { path: 'data' } }], containers: [mount('v')] }, 'spec.volumes[0].hostPath.path', /absolute/],
  ['an item key with /', { volumes: [{ name: 'v', configMap: { name: 'cm', items: [{ key: 'a/b', path: 'x' }] } }], containers: [mount('v')] }, 'spec.volumes[0].configMap.items[0].key', /no '\/'/],
  ['an item path climbing out', { volumes: [{ name: 'v', secret: { secretName: 's', items: [{ key: 'k', path: '../../etc/passwd' }] } }], containers: [mount('v')] }, 'spec.volumes[0].secret.items[0].path', /'\.\.'/],
  ['a defaultMode above 0777', { volumes: [{ name: 'v', configMap: { name: 'cm', defaultMode: 1000 } }], containers: [mount('v')] }, 'spec.volumes[0].configMap.defaultMode', /0777/],
  ['a relative mountPath', { volumes: [{ name: 'v', emptyDir: {} }], containers: [mount('v', 'data')] }, 'spec.containers[0].volumeMounts[0].mountPath', /absolute/],
  ['a bad emptyDir sizeLimit', { volumes: [{ name: 'v', emptyDir: { medium: 'Memory', sizeLimit: 'lots' } }], containers: [mount('v')] }, 'spec.volumes[0].emptyDir.sizeLimit', /quantity/],
  ['an env fieldRef to an unknown field', { containers: [{ name: 'c', image: 'busybox', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }] }] }, 'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath', /metadata.name/],
  ['an env with value and valueFrom', { containers: [{ name: 'c', image: 'busybox', env: [{ name: 'X', value: 'v', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }] }, 'spec.containers[0].env[0].valueFrom', /together with value/],
])('v1: %s -> 422 naming the field, nothing written', async (_what, spec, field, message) => {
  const before = await fx.dump();
  const r = await call(fx.url, 'POST', V1, v1Pod('bad', spec));
  expect(r.status).toBe(422);
  expect(r.json.details.causes).toContainEqual(expect.objectContaining({ field, message: expect.stringMatching(message) }));
  expect(await fx.dump()).toEqual(before);
});

it('v1beta1: a mount naming no volume and a relative hostDir -> 422 naming 2014\'s fields, nothing written', async () => {
  const before = await fx.dump();
  const r = await call(fx.url, 'POST', V1BETA1, {
    id: 'bad',
    kind: 'Pod',
    apiVersion: 'v1beta1',
    desiredState: { manifest: { version: 'v1beta1', id: 'bad', volumes: [{ name: 'data', source: { hostDir: { path: 'rel' } } }], containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'nope', mountPath: '/d' }] }] } },
  });
  expect(r.status).toBe(422);
  expect(r.json.details.causes).toEqual(expect.arrayContaining([
    expect.objectContaining({ field: 'desiredState.manifest.volumes[0].source.hostDir.path', message: expect.stringMatching(/absolute/) }),
    expect.objectContaining({ field: 'desiredState.manifest.containers[0].volumeMounts[0].name', message: expect.stringMatching(/no volume named "nope"/) }),
  ]));
  expect(await fx.dump()).toEqual(before);
});
