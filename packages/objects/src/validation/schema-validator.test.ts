import fs from 'node:fs';
import path from 'node:path';
import { schemasDir, validateSchema } from './schema-validator';

const repoRoot = path.resolve(__dirname, '../../../..');
const seedDir = path.join(repoRoot, 'examples', 'seed-guestbook');
const resourceOfKind: Record<string, 'pods' | 'services' | 'replicationControllers'> = {
  Pod: 'pods', Service: 'services', ReplicationController: 'replicationControllers',
};

describe('validateSchema', () => {
  it('finds the repo schemas directory from src (four levels below the root)', () => {
    expect(schemasDir()).toBe(path.join(repoRoot, 'schemas'));
  });

  it('every schema file is valid JSON with the $id the loader expects', () => {
    for (const version of ['internal', 'v1beta1']) {
      const files = fs.readdirSync(path.join(repoRoot, 'schemas', version));
      expect(files).toEqual(expect.arrayContaining(['pod.json', 'replicationController.json', 'service.json', 'minion.json', 'endpoints.json', 'event.json']));
      for (const f of files) {
        const schema = JSON.parse(fs.readFileSync(path.join(repoRoot, 'schemas', version, f), 'utf8'));
        expect(schema.$id).toBe(`https://coxswain.local/schemas/${version}/${f}`);
      }
    }
  });

  const seeds = fs.readdirSync(seedDir).filter((f) => f.endsWith('.json'));
  it('the project carries the five seed manifests', () => expect(seeds).toHaveLength(5));
  it.each(seeds)('the v1beta1 schema accepts the seed manifest %s', (file) => {
    const body = JSON.parse(fs.readFileSync(path.join(seedDir, file), 'utf8'));
    expect(validateSchema('v1beta1', resourceOfKind[body.kind], body)).toEqual([]);
  });

  const seedPod = () => JSON.parse(fs.readFileSync(path.join(seedDir, 'redis-master.json'), 'utf8'));

  it('names v1beta1 paths in errors', () => {
    const body = seedPod();
    delete body.desiredState.manifest.containers[0].image;
    body.desiredState.manifest.containers[0].ports[0].containerPort = '6379';
    body.labels.name = 1;
    expect(validateSchema('v1beta1', 'pods', body)).toEqual(expect.arrayContaining([
      { field: 'desiredState.manifest.containers[0].image', message: 'required' },
      { field: 'desiredState.manifest.containers[0].ports[0].containerPort', message: 'must be an integer' },
      { field: 'labels.name', message: 'must be a string' },
    ]));
  });

  it('accepts 2014-era extras and is permissive on unknown top-level metadata', () => {
    const body = {
      ...seedPod(),
      creationTimestamp: '2014-10-06T10:00:00Z', resourceVersion: 17, uid: 'abc', selfLink: '/api/v1beta1/pods/redis-master-2',
      namespace: 'default', somethingElse: { x: 1 },
    };
    body.desiredState.manifest.restartPolicy = { always: {} };
    body.desiredState.manifest.volumes = null;
    body.desiredState.manifest.containers[0].cpu = 100;
    body.desiredState.manifest.containers[0].memory = 67108864;
    body.desiredState.manifest.containers[0].imagePullPolicy = 'PullIfNotPresent';
    body.currentState = { status: 'Waiting', host: '', info: { master: { state: { waiting: {} }, restartCount: 0 } } };
    expect(validateSchema('v1beta1', 'pods', body)).toEqual([]);
    body.resourceVersion = '17';
    body.desiredState.manifest.restartPolicy = 'OnFailure';
    expect(validateSchema('v1beta1', 'pods', body)).toEqual([]);
  });

  it.each([
    ['a restartPolicy string outside the enum', (b: any) => { b.desiredState.manifest.restartPolicy = 'Sometimes'; }, 'desiredState.manifest.restartPolicy: must be one of: "Always", "OnFailure", "Never"'],
    ['a restartPolicy object naming two policies', (b: any) => { b.desiredState.manifest.restartPolicy = { always: {}, never: {} }; }, 'desiredState.manifest.restartPolicy: must name exactly one of always, onFailure, never'],
    ['a restartPolicy object with an unknown policy', (b: any) => { b.desiredState.manifest.restartPolicy = { sometimes: {} }; }, 'desiredState.manifest.restartPolicy.sometimes: unknown field'],
    ['a status outside the seed words', (b: any) => { b.currentState = { status: 'Pending' }; }, 'currentState.status: must be one of: "Waiting", "Running", "Terminated"'],
    ['a negative resourceVersion', (b: any) => { b.resourceVersion = -1; }, 'resourceVersion: must be a decimal revision'],
    ['a non-numeric resourceVersion', (b: any) => { b.resourceVersion = 'x1'; }, 'resourceVersion: must be a decimal revision'],
    ['a wrong kind', (b: any) => { b.kind = 'Service'; }, 'kind: must be "Pod"'],
    ['a wrong apiVersion', (b: any) => { b.apiVersion = 'v1'; }, 'apiVersion: must be "v1beta1"'],
    ['a cpu given as a string', (b: any) => { b.desiredState.manifest.containers[0].cpu = '250m'; }, 'desiredState.manifest.containers[0].cpu: must be an integer'],
    ['a typo inside the manifest', (b: any) => { b.desiredState.manifest.containers[0].imagee = 'x'; }, 'desiredState.manifest.containers[0].imagee: unknown field'],
    ['a volume source 2014 never had', (b: any) => { b.desiredState.manifest.volumes = [{ name: 'data', source: { gitRepo: {} } }]; }, 'desiredState.manifest.volumes[0].source.gitRepo: unknown field'],
    ['a privileged container', (b: any) => { b.desiredState.manifest.containers[0].privileged = true; }, 'desiredState.manifest.containers[0].privileged: privileged containers are not supported'],
    ['no manifest', (b: any) => { delete b.desiredState.manifest; }, 'desiredState.manifest: required'],
    ['no desiredState', (b: any) => { delete b.desiredState; }, 'desiredState: required'],
    ['labels as a list', (b: any) => { b.labels = ['name=x']; }, 'labels: must be an object'],
  ])('rejects a v1beta1 pod with %s', (_n, mutate, expected) => {
    const body = seedPod();
    mutate(body);
    expect(validateSchema('v1beta1', 'pods', body).map((c) => `${c.field}: ${c.message}`)).toEqual([expected]);
  });

  it('accepts a service containerPort given by name and rejects one given as an object', () => {
    const svc = { id: 'web', kind: 'Service', apiVersion: 'v1beta1', port: 80, containerPort: 'http', selector: { app: 'web' } };
    expect(validateSchema('v1beta1', 'services', svc)).toEqual([]);
    expect(validateSchema('v1beta1', 'services', { ...svc, containerPort: { port: 1 } })).toEqual([
      { field: 'containerPort', message: 'must be an integer or a string' },
    ]);
    expect(validateSchema('v1beta1', 'services', { ...svc, port: undefined })).toEqual([{ field: 'port', message: 'required' }]);
  });

  it('v1 is the internal schema', () => {
    expect(validateSchema('v1', 'services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ port: 80 }] } })).toEqual([]);
    expect(validateSchema('v1', 'services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, port: 80 })).toEqual([
      { field: 'spec', message: 'required' },
      { field: 'port', message: 'unknown field' },
    ]);
  });
});
