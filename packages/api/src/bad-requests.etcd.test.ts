// A corpus of bad requests: each gets the right 4xx Status (naming the field where there is one),
// and afterwards etcd holds exactly what it held before (same keys, values, revisions) and the
// server still serves.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { ApiFixture, startApiFixture } from './testing/api-fixture';
import { call } from './testing/wire';

const SEED_DIR = join(__dirname, '../../../examples/seed-guestbook');
const seed = (file: string) => JSON.parse(readFileSync(join(SEED_DIR, file), 'utf8'));
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

/** A valid v1beta1 pod named `bad-pod`, changed by `mutate`. */
function pod(mutate: (p: any) => void = () => undefined): any {
  const p = seed('redis-master.json');
  p.id = 'bad-pod';
  p.desiredState.manifest.id = 'bad-pod';
  p.desiredState.manifest.containers[0].ports[0].hostPort = 16379;
  mutate(p);
  return p;
}
function rc(mutate: (r: any) => void = () => undefined): any {
  const r = seed('redis-slave-controller.json');
  r.id = 'bad-rc';
  mutate(r);
  return r;
}
function svc(mutate: (s: any) => void = () => undefined): any {
  const s = seed('redis-master-service.json');
  s.id = 'bad-svc';
  mutate(s);
  return s;
}
const container = (p: any, i = 0) => p.desiredState.manifest.containers[i];

interface Case {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  code: number;
  reason?: string;
  /** A cause must name this field (or one of these). */
  field?: string | string[];
  /** The message must contain this. */
  message?: string;
  headers?: Record<string, string>;
}

const P = '/api/v1beta1';
const cases: Case[] = [];
const add = (c: Case) => cases.push(c);

// ---- malformed JSON -> 400 -------------------------------------------------------------------------
const malformed = ['{', '{"id": "x",}', "{'id': 'x'}", 'not json', '', '[]', 'null', '42', '"pod"', '{"id": "x"} trailing', '{"id": "x"', '\u0000{}'];
for (const body of malformed) add({ name: `malformed pod body ${JSON.stringify(body)}`, method: 'POST', path: `${P}/pods`, body, code: 400, reason: 'BadRequest' });
for (const [method, path] of [
  ['POST', `${P}/services`],
  ['POST', `${P}/replicationControllers`],
  ['PUT', `${P}/pods/redis-master-2`],
  ['POST', `${P}/minions`],
  ['POST', `${P}/bindings`],
  ['PUT', `${P}/pods/redis-master-2/status`],
]) {
  for (const body of ['{', '[1,2]', 'true', '{"id":}']) add({ name: `malformed ${method} ${path} ${body}`, method, path, body, code: 400, reason: 'BadRequest' });
}

// ---- schema and semantic violations -> 422 naming the v1beta1 field ---------------------------------------
const C0 = 'desiredState.manifest.containers[0]';
const podViolations: [string, (p: any) => void, string | string[]][] = [
  ['no desiredState', (p) => delete p.desiredState, 'desiredState'],
  ['no image', (p) => delete container(p).image, `${C0}.image`],
  ['empty image', (p) => (container(p).image = ''), `${C0}.image`],
  ['no container name', (p) => delete container(p).name, `${C0}.name`],
  ['containerPort 0', (p) => (container(p).ports[0].containerPort = 0), `${C0}.ports[0].containerPort`],
  ['containerPort 70000', (p) => (container(p).ports[0].containerPort = 70000), `${C0}.ports[0].containerPort`],
  ['hostPort 70000', (p) => (container(p).ports[0].hostPort = 70000), `${C0}.ports[0].hostPort`],
  ['containerPort a string', (p) => (container(p).ports[0].containerPort = 'abc'), `${C0}.ports[0].containerPort`],
  ['duplicate container names', (p) => p.desiredState.manifest.containers.push({ name: 'master', image: 'busybox' }), 'desiredState.manifest.containers[1].name'],
  [
    'duplicate host ports',
    (p) => p.desiredState.manifest.containers.push({ name: 'two', image: 'busybox', ports: [{ containerPort: 80, hostPort: 16379 }] }),
    'desiredState.manifest.containers[1].ports[0].hostPort',
  ],
  ['id with a space', (p) => (p.id = 'bad id'), 'id'],
  ['id with a slash', (p) => (p.id = 'bad/id'), 'id'],
  ['id of 254 characters', (p) => (p.id = 'a'.repeat(254)), 'id'],
  ['empty id', (p) => (p.id = ''), 'id'],
  ['label key invalid', (p) => (p.labels = { '-bad': 'x' }), ['labels', 'labels.-bad', 'labels[-bad]']],
  ['label value too long', (p) => (p.labels = { name: 'v'.repeat(64) }), ['labels', 'labels.name']],
  ['label value a number', (p) => (p.labels = { name: 5 }), ['labels', 'labels.name']],
  ['containers not an array', (p) => (p.desiredState.manifest.containers = { name: 'x' }), 'desiredState.manifest.containers'],
  ['unknown container field', (p) => (container(p).imagee = 'x'), [C0, `${C0}.imagee`]],
  ['env var without name', (p) => (container(p).env = [{ value: 'x' }]), `${C0}.env[0].name`],
  ['negative cpu', (p) => (container(p).cpu = -1), `${C0}.cpu`],
  ['protocol SCTP', (p) => (container(p).ports[0].protocol = 'SCTP'), `${C0}.ports[0].protocol`],
  ['probe without port', (p) => (container(p).livenessProbe = { httpGet: { path: '/' } }), `${C0}.livenessProbe.httpGet.port`],
  ['container is a string', (p) => (p.desiredState.manifest.containers = ['redis']), `desiredState.manifest.containers[0]`],
  ['no containers key', (p) => delete p.desiredState.manifest.containers, ['desiredState.manifest.containers', 'desiredState.manifest']],
  ['labels an array', (p) => (p.labels = ['a']), 'labels'],
  // Bounds (issue #18): a memory limit Docker refuses, and one past int64 (the probe's 1e30).
  ['memory 1 byte', (p) => (container(p).memory = 1), `${C0}.memory`],
  ['memory 1e30', (p) => (container(p).memory = 1e30), `${C0}.memory`],
  ['hostPort 2^31', (p) => (container(p).ports[0].hostPort = 2 ** 31), `${C0}.ports[0].hostPort`],
  // Docker's image reference grammar (issue #18): what the probe sent, refused at the door.
  ['image with a space', (p) => (container(p).image = 'dockerfile/redis latest'), `${C0}.image`],
  ['image with ";"', (p) => (container(p).image = 'redis;rm'), `${C0}.image`],
  ['image with $(...)', (p) => (container(p).image = '$(touch /tmp/pwned)'), `${C0}.image`],
  ['image with backquotes', (p) => (container(p).image = '`id`'), `${C0}.image`],
  ['image upper case', (p) => (container(p).image = 'Dockerfile/Redis'), `${C0}.image`],
  ['image bad tag', (p) => (container(p).image = 'redis:-1'), `${C0}.image`],
];
for (const [name, mutate, field] of podViolations) add({ name: `pod: ${name}`, method: 'POST', path: `${P}/pods`, body: pod(mutate), code: 422, reason: 'Invalid', field });
add({ name: 'pod update: no image', method: 'PUT', path: `${P}/pods/redis-master-2`, body: (() => { const p = seed('redis-master.json'); delete container(p).image; return p; })(), code: 422, reason: 'Invalid', field: `${C0}.image` });

const T0 = 'desiredState.podTemplate.desiredState.manifest.containers[0]';
const rcViolations: [string, (r: any) => void, string | string[]][] = [
  ['replicas -1', (r) => (r.desiredState.replicas = -1), 'desiredState.replicas'],
  ['replicas a string', (r) => (r.desiredState.replicas = 'three'), 'desiredState.replicas'],
  ['selector does not match template', (r) => (r.desiredState.replicaSelector = { name: 'other' }), ['desiredState.replicaSelector', 'desiredState.podTemplate.labels']],
  ['no podTemplate', (r) => delete r.desiredState.podTemplate, 'desiredState.podTemplate'],
  ['template container without image', (r) => delete r.desiredState.podTemplate.desiredState.manifest.containers[0].image, `${T0}.image`],
  ['id with a slash', (r) => (r.id = 'bad/rc'), 'id'],
  // Bounds (issue #18): replicas is an int32, as in Kubernetes; 1e9 fits one and is bounded by a ResourceQuota.
  ['replicas 2^31', (r) => (r.desiredState.replicas = 2 ** 31), 'desiredState.replicas'],
  ['replicas 2^53+1', (r) => (r.desiredState.replicas = 2 ** 53 + 1), 'desiredState.replicas'],
  ['template memory 1e30', (r) => (r.desiredState.podTemplate.desiredState.manifest.containers[0].memory = 1e30), `${T0}.memory`],
  ['template image with a space', (r) => (r.desiredState.podTemplate.desiredState.manifest.containers[0].image = 'a b'), `${T0}.image`],
  ['template hostPort 0x10000', (r) => (r.desiredState.podTemplate.desiredState.manifest.containers[0].ports[0].hostPort = 65536), `${T0}.ports[0].hostPort`],
];
for (const [name, mutate, field] of rcViolations) add({ name: `rc: ${name}`, method: 'POST', path: `${P}/replicationControllers`, body: rc(mutate), code: 422, reason: 'Invalid', field });

const svcViolations: [string, (s: any) => void, string | string[]][] = [
  ['port 0', (s) => (s.port = 0), 'port'],
  ['port 70000', (s) => (s.port = 70000), 'port'],
  ['port a string', (s) => (s.port = 'x'), 'port'],
  ['no port', (s) => delete s.port, 'port'],
  // v1beta1 takes 2014's free-text values (a space, a comma); a control character is still refused.
  ['selector value with a control character', (s) => (s.selector = { name: 'a\tb' }), ['selector', 'selector.name']],
  ['sessionAffinity Sticky', (s) => (s.sessionAffinity = 'Sticky'), 'sessionAffinity'],
  ['containerPort 0', (s) => (s.containerPort = 0), 'containerPort'],
  ['empty id', (s) => (s.id = ''), 'id'],
];
for (const [name, mutate, field] of svcViolations) add({ name: `service: ${name}`, method: 'POST', path: `${P}/services`, body: svc(mutate), code: 422, reason: 'Invalid', field });
add({ name: 'minion: id with a space', method: 'POST', path: `${P}/minions`, body: { kind: 'Minion', apiVersion: 'v1beta1', id: 'bad minion' }, code: 422, reason: 'Invalid', field: 'id' });
add({ name: 'minion: hostIP a number', method: 'POST', path: `${P}/minions`, body: { kind: 'Minion', apiVersion: 'v1beta1', id: 'm', hostIP: 5 }, code: 422, reason: 'Invalid', field: 'hostIP' });

// ---- wrong methods -> 405 ----------------------------------------------------------------------------
for (const [method, path] of [
  ['POST', `${P}/pods/redis-master-2`],
  ['DELETE', `${P}/pods`],
  ['PUT', `${P}/pods`],
  ['PATCH', `${P}/services`],
  ['POST', '/healthz'],
  ['DELETE', '/healthz'],
  ['POST', `${P}/watch/pods`],
  ['DELETE', `${P}/pods/redis-master-2/status`],
  ['POST', `${P}/pods/redis-master-2/status`],
  ['GET', `${P}/pods/redis-master-2/status`],
  ['PUT', `${P}/pods/redis-master-2/log`],
  ['PATCH', `${P}/pods/redis-master-2/log`],
  ['DELETE', `${P}/namespaces/default/pods`],
]) {
  add({ name: `${method} ${path}`, method, path, body: method === 'GET' || method === 'DELETE' ? undefined : pod(), code: 405, reason: 'MethodNotAllowed' });
}

// ---- bad patches: each refused before anything is written ----------------------------------------------
const MERGE = { 'Content-Type': 'application/merge-patch+json' };
const RM = `${P}/pods/redis-master-2`;
add({ name: 'PATCH as application/json', method: 'PATCH', path: RM, body: { labels: { a: 'b' } }, code: 415, reason: 'UnsupportedMediaType', message: 'application/merge-patch+json' });
add({ name: 'PATCH as a strategic merge patch', method: 'PATCH', path: `${P}/replicationControllers/redisSlaveController`, body: { desiredState: { replicas: 3 } }, headers: { 'Content-Type': 'application/strategic-merge-patch+json' }, code: 415, reason: 'UnsupportedMediaType' });
add({ name: 'PATCH malformed', method: 'PATCH', path: RM, body: '{"labels":', headers: MERGE, code: 400, reason: 'BadRequest' });
add({ name: 'PATCH an array', method: 'PATCH', path: RM, body: [{ op: 'add' }], headers: MERGE, code: 400, reason: 'BadRequest' });
add({ name: 'PATCH to an invalid label', method: 'PATCH', path: RM, body: { labels: { name: 'x'.repeat(64) } }, headers: MERGE, code: 422, reason: 'Invalid', field: ['labels', 'labels.name'] });
add({ name: 'PATCH removing the image', method: 'PATCH', path: RM, body: { desiredState: { manifest: { containers: [{ name: 'master' }] } } }, headers: MERGE, code: 422, reason: 'Invalid', field: 'desiredState.manifest.containers[0].image' });
add({ name: 'PATCH renaming', method: 'PATCH', path: RM, body: { id: 'other' }, headers: MERGE, code: 400, reason: 'BadRequest', field: 'id' });
add({ name: 'PATCH with a stale resourceVersion', method: 'PATCH', path: RM, body: { resourceVersion: 1, labels: { a: 'b' } }, headers: MERGE, code: 409, reason: 'Conflict' });
add({ name: 'PATCH replicas a string', method: 'PATCH', path: `${P}/replicationControllers/redisSlaveController`, body: { desiredState: { replicas: 'three' } }, headers: MERGE, code: 422, reason: 'Invalid', field: 'desiredState.replicas' });
add({ name: 'PATCH a missing pod', method: 'PATCH', path: `${P}/pods/nobody`, body: { labels: { a: 'b' } }, headers: MERGE, code: 404, reason: 'NotFound' });
// Strategic merge (v1 only) and JSON patch (RFC 6902): bodies that are not patches are 400, patches
// that cannot apply are 422 naming the field.
const V1RC = '/api/v1/namespaces/default/replicationControllers/redisSlaveController';
const SMP = { 'Content-Type': 'application/strategic-merge-patch+json' };
const JSONP = { 'Content-Type': 'application/json-patch+json' };
add({ name: 'strategic patch a list', method: 'PATCH', path: V1RC, body: [{ spec: {} }], headers: SMP, code: 400, reason: 'BadRequest', message: 'must be a JSON object' });
add({ name: 'strategic patch: container without its merge key', method: 'PATCH', path: V1RC, body: { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, headers: SMP, code: 422, reason: 'Invalid', field: 'spec.template.spec.containers[0]', message: '"name"' });
add({ name: 'strategic patch: unknown $patch directive', method: 'PATCH', path: V1RC, body: { metadata: { labels: { $patch: 'explode' } } }, headers: SMP, code: 422, reason: 'Invalid', field: 'metadata.labels.$patch' });
add({ name: 'strategic patch: replicas a string', method: 'PATCH', path: V1RC, body: { spec: { replicas: 'three' } }, headers: SMP, code: 422, reason: 'Invalid', field: 'spec.replicas' });
add({ name: 'JSON patch an object', method: 'PATCH', path: V1RC, body: { op: 'add' }, headers: JSONP, code: 400, reason: 'BadRequest', message: 'list of operations' });
add({ name: 'JSON patch unknown op', method: 'PATCH', path: V1RC, body: [{ op: 'explode', path: '/spec' }], headers: JSONP, code: 400, reason: 'BadRequest', message: 'op must be one of' });
add({ name: 'JSON patch op without path', method: 'PATCH', path: V1RC, body: [{ op: 'remove' }], headers: JSONP, code: 400, reason: 'BadRequest', message: 'path must be a string' });
add({ name: 'JSON patch replace a missing path', method: 'PATCH', path: V1RC, body: [{ op: 'replace', path: '/spec/nothing/here', value: 1 }], headers: JSONP, code: 422, reason: 'Invalid', field: '/spec/nothing/here', message: 'does not exist' });
add({ name: 'JSON patch remove a missing path', method: 'PATCH', path: V1RC, body: [{ op: 'remove', path: '/metadata/labels/none' }], headers: JSONP, code: 422, reason: 'Invalid', field: '/metadata/labels/none' });
add({ name: 'JSON patch failing test, then a change', method: 'PATCH', path: V1RC, body: [{ op: 'test', path: '/spec/replicas', value: 99 }, { op: 'replace', path: '/spec/replicas', value: 1 }], headers: JSONP, code: 422, reason: 'Invalid', field: '/spec/replicas' });
add({ name: 'JSON patch to an invalid result', method: 'PATCH', path: V1RC, body: [{ op: 'replace', path: '/spec/replicas', value: -1 }], headers: JSONP, code: 422, reason: 'Invalid', field: 'spec.replicas' });
add({ name: 'PATCH as text/plain', method: 'PATCH', path: V1RC, body: '{}', headers: { 'Content-Type': 'text/plain' }, code: 415, reason: 'UnsupportedMediaType' });
// dryRun and fieldValidation parameters.
add({ name: 'dryRun=Some', method: 'DELETE', path: `${V1RC}?dryRun=Some`, code: 400, reason: 'BadRequest', field: 'dryRun' });
add({ name: 'dry-run create of an invalid pod', method: 'POST', path: `${P}/pods?dryRun=All`, body: pod((p) => (container(p).image = '')), code: 422, reason: 'Invalid', field: 'desiredState.manifest.containers[0].image' });
add({ name: 'dry-run create of an existing pod', method: 'POST', path: `${P}/pods?dryRun=All`, body: seed('redis-master.json'), code: 409, reason: 'AlreadyExists' });
add({ name: 'fieldValidation=Loud', method: 'PATCH', path: `${V1RC}?fieldValidation=Loud`, body: {}, headers: SMP, code: 400, reason: 'BadRequest', field: 'fieldValidation' });
add({ name: 'strict patch adding an unknown field', method: 'PATCH', path: `${V1RC}?fieldValidation=Strict`, body: { spec: { replicaz: 3 } }, headers: SMP, code: 422, reason: 'Invalid', field: 'spec.replicaz' });
// The scale subresource (v1 replication controllers only).
const MERGE_V1 = { 'Content-Type': 'application/merge-patch+json' };
add({ name: 'scale PUT replicas -1', method: 'PUT', path: `${V1RC}/scale`, body: { kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: -1 } }, code: 422, reason: 'Invalid', field: 'spec.replicas' });
add({ name: 'scale PUT without replicas', method: 'PUT', path: `${V1RC}/scale`, body: { kind: 'Scale', spec: {} }, code: 422, reason: 'Invalid', field: 'spec.replicas' });
add({ name: 'scale PUT a pod body', method: 'PUT', path: `${V1RC}/scale`, body: { kind: 'Pod', spec: { replicas: 1 } }, code: 400, reason: 'BadRequest', field: 'kind' });
add({ name: 'scale PATCH replicas a string', method: 'PATCH', path: `${V1RC}/scale`, body: { spec: { replicas: 'many' } }, headers: MERGE_V1, code: 422, reason: 'Invalid', field: 'spec.replicas' });
add({ name: 'scale PUT stale resourceVersion', method: 'PUT', path: `${V1RC}/scale`, body: { kind: 'Scale', metadata: { resourceVersion: '1' }, spec: { replicas: 1 } }, code: 409, reason: 'Conflict' });
add({ name: 'scale of a pod', method: 'GET', path: '/api/v1/namespaces/default/pods/redis-master-2/scale', code: 404, reason: 'NotFound' });
add({ name: 'scale in v1beta1', method: 'GET', path: `${P}/replicationControllers/redisSlaveController/scale`, code: 404, reason: 'NotFound' });
add({ name: 'scale of a missing rc', method: 'PUT', path: '/api/v1/namespaces/default/replicationControllers/nope/scale', body: { kind: 'Scale', spec: { replicas: 1 } }, code: 404, reason: 'NotFound' });
add({ name: 'status PATCH to an invalid phase', method: 'PATCH', path: '/api/v1/namespaces/default/pods/redis-master-2/status', body: { status: { phase: 42 } }, headers: MERGE_V1, code: 422, reason: 'Invalid', field: 'status.phase' });
// Server-side apply (PATCH application/apply-patch+yaml).
const APPLY = { 'Content-Type': 'application/apply-patch+yaml' };
const applied = (extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'redisSlaveController' }, ...extra });
add({ name: 'apply without fieldManager', method: 'PATCH', path: V1RC, body: applied(), headers: APPLY, code: 400, reason: 'BadRequest', field: 'fieldManager' });
add({ name: 'apply malformed YAML', method: 'PATCH', path: `${V1RC}?fieldManager=t`, body: 'spec: {replicas: [', headers: APPLY, code: 400, reason: 'BadRequest', message: 'malformed YAML' });
add({ name: 'apply a Pod to an rc', method: 'PATCH', path: `${V1RC}?fieldManager=t`, body: applied({ kind: 'Pod' }), headers: APPLY, code: 400, reason: 'BadRequest', field: 'kind' });
add({ name: 'apply force=maybe', method: 'PATCH', path: `${V1RC}?fieldManager=t&force=maybe`, body: applied(), headers: APPLY, code: 400, reason: 'BadRequest', field: 'force' });
add({ name: 'apply an unknown field, strict', method: 'PATCH', path: `${V1RC}?fieldManager=t&fieldValidation=Strict`, body: applied({ spec: { replicaz: 1 } }), headers: APPLY, code: 422, reason: 'Invalid', field: 'spec.replicaz' });
add({ name: 'apply replicas a string', method: 'PATCH', path: `${V1RC}?fieldManager=t`, body: applied({ spec: { replicas: 'two' } }), headers: APPLY, code: 422, reason: 'Invalid', field: 'spec.replicas' });
// The writer's name for managedFields (?fieldManager), on every write.
add({ name: 'patch with a 129-character fieldManager', method: 'PATCH', path: `${V1RC}?fieldManager=${'m'.repeat(129)}`, body: { metadata: { labels: { x: 'y' } } }, headers: MERGE_V1, code: 400, reason: 'BadRequest', field: 'fieldManager' });
add({ name: 'create with an empty fieldManager', method: 'POST', path: '/api/v1/namespaces/default/pods?fieldManager=', body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fm' }, spec: { containers: [{ name: 'c', image: 'i' }] } }, code: 400, reason: 'BadRequest', field: 'fieldManager' });
add({ name: 'apply in v1beta1', method: 'PATCH', path: `${P}/replicationControllers/redisSlaveController?fieldManager=t`, body: applied(), headers: APPLY, code: 415, reason: 'UnsupportedMediaType' });

// Bounds in v1's own field names (issue #18).
const V1P = '/api/v1/namespaces/default/pods';
const v1pod = (container: Record<string, unknown>) => ({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'bad-v1' }, spec: { containers: [{ name: 'c', image: 'busybox', ...container }] } });
add({ name: 'v1 pod memory limit "1e30"', method: 'POST', path: V1P, body: v1pod({ resources: { limits: { memory: '1e30' } } }), code: 422, reason: 'Invalid', field: 'spec.containers[0].resources.limits.memory', message: '2^63-1' });
add({ name: 'v1 pod memory limit "1"', method: 'POST', path: V1P, body: v1pod({ resources: { limits: { memory: '1' } } }), code: 422, reason: 'Invalid', field: 'spec.containers[0].resources.limits.memory', message: '6Mi' });
add({ name: 'v1 pod cpu 1e30 as a number', method: 'POST', path: V1P, body: v1pod({ resources: { limits: { cpu: 1e30 } } }), code: 422, reason: 'Invalid', field: 'spec.containers[0].resources.limits.cpu' });
add({ name: 'v1 rc replicas 2^31', method: 'PUT', path: V1RC, body: { kind: 'ReplicationController', apiVersion: 'v1', metadata: { name: 'redisSlaveController' }, spec: { replicas: 2 ** 31, selector: { name: 'redisslave' }, template: { metadata: { labels: { name: 'redisslave' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } }, code: 422, reason: 'Invalid', field: 'spec.replicas', message: '2147483647' });
add({ name: 'scale PUT replicas 2^31', method: 'PUT', path: `${V1RC}/scale`, body: { kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 ** 31 } }, code: 422, reason: 'Invalid', field: 'spec.replicas' });

add({ name: 'v1 pod image "busybox;id"', method: 'POST', path: V1P, body: v1pod({ image: 'busybox;id' }), code: 422, reason: 'Invalid', field: 'spec.containers[0].image', message: 'must not contain ";"' });

// ---- media types (issue #18): JSON or YAML on POST/PUT, the three patch types on PATCH; else 415 ------------
add({ name: 'POST as text/plain', method: 'POST', path: `${P}/pods`, body: pod(), headers: { 'Content-Type': 'text/plain' }, code: 415, reason: 'UnsupportedMediaType', message: 'application/json, application/yaml' });
add({ name: 'PUT as text/plain', method: 'PUT', path: `${P}/pods/redis-master-2`, body: { ...seed('redis-master.json'), labels: { changed: 'yes' } }, headers: { 'Content-Type': 'text/plain' }, code: 415, reason: 'UnsupportedMediaType' });
add({ name: 'POST as application/x-www-form-urlencoded', method: 'POST', path: V1P, body: 'a=b', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, code: 415, reason: 'UnsupportedMediaType' });
add({ name: 'POST a binding as text/plain', method: 'POST', path: `${P}/bindings`, body: { podID: 'redis-master-2', host: 'm1' }, headers: { 'Content-Type': 'text/plain' }, code: 415, reason: 'UnsupportedMediaType' });
add({ name: 'scale PUT as text/plain', method: 'PUT', path: `${V1RC}/scale`, body: { kind: 'Scale', spec: { replicas: 1 } }, headers: { 'Content-Type': 'text/plain' }, code: 415, reason: 'UnsupportedMediaType' });
add({ name: 'PATCH with no Content-Type', method: 'PATCH', path: V1RC, body: { spec: { replicas: 1 } }, headers: { 'Content-Type': '' }, code: 415, reason: 'UnsupportedMediaType', message: '"none"' });
add({ name: 'PATCH as application/yaml', method: 'PATCH', path: V1RC, body: 'spec: {replicas: 1}', headers: { 'Content-Type': 'application/yaml' }, code: 415, reason: 'UnsupportedMediaType' });
add({ name: 'POST YAML malformed', method: 'POST', path: V1P, body: 'kind: Pod\nmetadata: [', headers: { 'Content-Type': 'application/yaml' }, code: 400, reason: 'BadRequest', message: 'malformed YAML' });
add({ name: 'POST YAML of two documents', method: 'POST', path: V1P, body: 'kind: Pod\n---\nkind: Pod\n', headers: { 'Content-Type': 'application/yaml' }, code: 400, reason: 'BadRequest' });
add({ name: 'POST YAML a list', method: 'POST', path: V1P, body: '- kind: Pod\n', headers: { 'Content-Type': 'application/yaml' }, code: 400, reason: 'BadRequest', message: 'must be a YAML mapping' });
add({ name: 'POST YAML with an invalid image', method: 'POST', path: V1P, body: 'kind: Pod\nmetadata: {name: y}\nspec:\n  containers:\n  - {name: c, image: "a b"}\n', headers: { 'Content-Type': 'application/yaml' }, code: 422, reason: 'Invalid', field: 'spec.containers[0].image' });
add({ name: 'POST YAML with replicas 2^31', method: 'POST', path: '/api/v1/namespaces/default/replicationControllers', body: 'kind: ReplicationController\nmetadata: {name: big}\nspec:\n  replicas: 2147483648\n  selector: {a: b}\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: busybox}]}\n', headers: { 'Content-Type': 'application/yaml' }, code: 422, reason: 'Invalid', field: 'spec.replicas' });

// ---- a PUT or PATCH never moves an object: its namespace is the request's (issue #18) ---------------------
const V1POD = '/api/v1/namespaces/default/pods/redis-master-2';
add({ name: 'v1beta1 PUT changing the namespace', method: 'PUT', path: `${P}/pods/redis-master-2`, body: { ...seed('redis-master.json'), namespace: 'other' }, code: 400, reason: 'BadRequest', field: 'namespace', message: 'does not match the namespace sent on the request' });
add({ name: 'v1 PUT changing the namespace', method: 'PUT', path: V1POD, body: { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'redis-master-2', namespace: 'other' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, code: 400, reason: 'BadRequest', field: 'metadata.namespace', message: 'does not match the namespace sent on the request' });
add({ name: 'PATCH changing the namespace', method: 'PATCH', path: V1POD, body: { metadata: { namespace: 'other' } }, headers: MERGE_V1, code: 400, reason: 'BadRequest', field: 'metadata.namespace' });

// ---- quotas and limit ranges (issue #18): refused before anything is written ----------------------------
const QNS = '/api/v1/namespaces/quota-ns';
add({ name: 'pod past a quota of 0 pods', method: 'POST', path: `${QNS}/pods`, body: v1pod({ resources: { limits: { cpu: '500m' } } }), code: 403, reason: 'Forbidden', message: 'exceeded quota: tight, requested: pods=1, used: pods=0, limited: pods=0' });
add({ name: 'pod above a LimitRange max', method: 'POST', path: `${QNS}/pods`, body: v1pod({ resources: { limits: { cpu: '2' } } }), code: 403, reason: 'Forbidden', message: 'maximum cpu usage per Container is 1, but limit is 2' });
add({ name: 'quota on an unknown resource', method: 'POST', path: `${QNS}/resourcequotas`, body: { kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { gpus: '1' } } }, code: 422, reason: 'Invalid', field: 'spec.hard.gpus' });
add({ name: 'quota of many pods', method: 'POST', path: `${QNS}/resourcequotas`, body: { kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { pods: 'many' } } }, code: 422, reason: 'Invalid', field: 'spec.hard.pods' });
add({ name: 'limit range default above max', method: 'POST', path: `${QNS}/limitranges`, body: { kind: 'LimitRange', metadata: { name: 'l' }, spec: { limits: [{ type: 'Container', default: { cpu: '2' }, max: { cpu: '1' } }] } }, code: 422, reason: 'Invalid', field: 'spec.limits[0].max.cpu' });
add({ name: 'quota in v1beta1', method: 'POST', path: `${P}/resourcequotas`, body: { kind: 'ResourceQuota', id: 'q' }, code: 404, reason: 'NotFound' });

// ---- oversized bodies -> 413 ----------------------------------------------------------------------------
const huge = (base: any) => ({ ...base, annotations: { filler: 'x'.repeat(3 * 1024 * 1024) } });
add({ name: 'oversized pod create', method: 'POST', path: `${P}/pods`, body: huge(pod()), code: 413, reason: 'RequestEntityTooLarge' });
add({ name: 'oversized pod update', method: 'PUT', path: `${P}/pods/redis-master-2`, body: huge(seed('redis-master.json')), code: 413, reason: 'RequestEntityTooLarge' });
add({ name: 'oversized service create', method: 'POST', path: `${P}/services`, body: huge(svc()), code: 413, reason: 'RequestEntityTooLarge' });
add({ name: 'oversized garbage', method: 'POST', path: `${P}/replicationControllers`, body: '{'.repeat(4 * 1024 * 1024), code: 413, reason: 'RequestEntityTooLarge' });

// ---- bad selectors -> 400 naming the parameter and token ---------------------------------------------------
const badLabels = ['a=b=c', 'a in (', 'a in (x', '!', ',', 'a,,b', '=x', 'a in x', 'a notin ()', '-a=b', `a=${'v'.repeat(64)}`, 'a b', '(a)', 'a=b)', 'a!b', 'a=b,', 'ke$y=v'];
for (const sel of badLabels) add({ name: `labels=${sel}`, method: 'GET', path: `${P}/pods?labels=${encodeURIComponent(sel)}`, code: 400, reason: 'BadRequest', field: 'labels' });
for (const sel of ['a=b=c', 'x in (']) {
  add({ name: `labelSelector=${sel}`, method: 'GET', path: `${P}/services?labelSelector=${encodeURIComponent(sel)}`, code: 400, reason: 'BadRequest', field: 'labelSelector' });
  add({ name: `watch labels=${sel}`, method: 'GET', path: `${P}/pods?watch=true&labels=${encodeURIComponent(sel)}`, code: 400, reason: 'BadRequest', field: 'labels' });
  add({ name: `watch path labels=${sel}`, method: 'GET', path: `${P}/watch/pods?labels=${encodeURIComponent(sel)}`, code: 400, reason: 'BadRequest', field: 'labels' });
}
for (const sel of ['spec..x=1', 'nodeName', '=x', 'spec.nodeName!', 'spec.nodeName=a b']) {
  add({ name: `fields=${sel}`, method: 'GET', path: `${P}/pods?fields=${encodeURIComponent(sel)}`, code: 400, reason: 'BadRequest', field: 'fields' });
}
add({ name: 'fieldSelector bad', method: 'GET', path: `${P}/pods?fieldSelector=${encodeURIComponent('!x')}`, code: 400, reason: 'BadRequest', field: 'fieldSelector' });

// ---- URL/body mismatches -> 400 --------------------------------------------------------------------------
add({ name: 'pod name differs from URL', method: 'PUT', path: `${P}/pods/redis-master-2`, body: { ...seed('redis-master.json'), id: 'other' }, code: 400, reason: 'BadRequest', field: 'id' });
add({ name: 'service name differs from URL', method: 'PUT', path: `${P}/services/redismaster`, body: { ...seed('redis-master-service.json'), id: 'other' }, code: 400, reason: 'BadRequest', field: 'id' });
add({ name: 'rc name differs from URL', method: 'PUT', path: `${P}/replicationControllers/redisSlaveController`, body: { ...seed('redis-slave-controller.json'), id: 'other' }, code: 400, reason: 'BadRequest', field: 'id' });
add({ name: 'status name differs from URL', method: 'PUT', path: `${P}/pods/redis-master-2/status`, body: { ...seed('redis-master.json'), id: 'other' }, code: 400, reason: 'BadRequest', field: 'id' });
add({ name: 'kind differs from resource', method: 'POST', path: `${P}/pods`, body: { ...pod(), kind: 'Service' }, code: 400, reason: 'BadRequest', field: 'kind' });
add({ name: 'service body posted as a pod', method: 'POST', path: `${P}/services`, body: pod(), code: 400, reason: 'BadRequest', field: 'kind' });
add({ name: 'apiVersion differs from URL', method: 'POST', path: `${P}/pods`, body: { ...pod(), apiVersion: 'v1' }, code: 400, reason: 'BadRequest', field: 'apiVersion' });
add({ name: 'body namespace differs from request', method: 'POST', path: `${P}/pods?namespace=ns-b`, body: { ...pod(), namespace: 'ns-a' }, code: 400, reason: 'BadRequest', field: 'namespace' });
add({ name: 'invalid namespace', method: 'POST', path: `${P}/pods?namespace=Bad_NS`, body: pod(), code: 400, reason: 'BadRequest', field: 'namespace' });
add({ name: 'invalid namespace in path', method: 'GET', path: `${P}/namespaces/UPPER/pods`, code: 400, reason: 'BadRequest', field: 'namespace' });

// ---- unknown things -> 404 --------------------------------------------------------------------------------
for (const [method, path] of [
  ['GET', `${P}/gizmos`],
  ['POST', `${P}/gizmos`],
  ['GET', '/api/v9/pods'],
  ['GET', `${P}/pods/nope`],
  ['DELETE', `${P}/pods/nope`],
  ['PUT', `${P}/pods/nope`],
  ['GET', '/nope'],
  ['GET', `${P}/pods/redis-master-2/exec`],
  ['GET', `${P}/services/redismaster/log`],
  ['PUT', `${P}/services/redismaster/status`],
  ['GET', `${P}/namespaces/default/gizmos`],
  ['GET', `${P}/watch/gizmos`],
  ['GET', `${P}/pods/redis-master-2?namespace=elsewhere`],
  ['DELETE', `${P}/minions/nope`],
]) {
  let body: unknown;
  if (method === 'PUT') body = path.includes('services') ? seed('redis-master-service.json') : { ...seed('redis-master.json'), id: 'nope' };
  if (method === 'POST') body = pod();
  add({ name: `${method} ${path}`, method, path, body, code: 404, reason: 'NotFound' });
}

// ---- bad resourceVersions --------------------------------------------------------------------------------
for (const rv of ['abc', '-1', '1.5', '']) {
  if (rv === '') continue;
  add({ name: `PUT resourceVersion ${rv}`, method: 'PUT', path: `${P}/pods/redis-master-2`, body: { ...seed('redis-master.json'), resourceVersion: rv }, code: 422, reason: 'Invalid', field: 'resourceVersion' });
}
add({ name: 'PUT resourceVersion an object', method: 'PUT', path: `${P}/pods/redis-master-2`, body: { ...seed('redis-master.json'), resourceVersion: { n: 1 } }, code: 422, reason: 'Invalid', field: 'resourceVersion' });
add({ name: 'watch resourceVersion abc', method: 'GET', path: `${P}/watch/pods?resourceVersion=abc`, code: 400, reason: 'BadRequest', field: 'resourceVersion' });
add({ name: 'watch=true resourceVersion -5', method: 'GET', path: `${P}/pods?watch=true&resourceVersion=-5`, code: 400, reason: 'BadRequest', field: 'resourceVersion' });
add({ name: 'delete resourceVersion x', method: 'DELETE', path: `${P}/pods/redis-master-2?resourceVersion=x`, code: 400, reason: 'BadRequest', field: 'resourceVersion' });

// ---- conflicts -> 409 ----------------------------------------------------------------------------------------
add({ name: 'stale resourceVersion', method: 'PUT', path: `${P}/pods/redis-master-2`, body: { ...seed('redis-master.json'), labels: { changed: 'yes' }, resourceVersion: '1' }, code: 409, reason: 'Conflict' });
add({ name: 'create an existing pod', method: 'POST', path: `${P}/pods`, body: seed('redis-master.json'), code: 409, reason: 'AlreadyExists' });
add({ name: 'create an existing service', method: 'POST', path: `${P}/services`, body: seed('redis-master-service.json'), code: 409, reason: 'AlreadyExists' });
add({ name: 'stale conditional delete', method: 'DELETE', path: `${P}/pods/redis-master-2?resourceVersion=1`, code: 409, reason: 'Conflict' });

// ---- bindings ----------------------------------------------------------------------------------------------
add({ name: 'binding without host', method: 'POST', path: `${P}/bindings`, body: { podID: 'redis-master-2' }, code: 422, reason: 'Invalid', field: 'host' });
add({ name: 'binding without pod', method: 'POST', path: `${P}/bindings`, body: { host: 'm1' }, code: 422, reason: 'Invalid', field: 'podID' });
add({ name: 'binding of a missing pod', method: 'POST', path: `${P}/bindings`, body: { podID: 'nope', host: 'm1' }, code: 404, reason: 'NotFound' });
add({ name: 'binding to a missing minion', method: 'POST', path: `${P}/bindings`, body: { podID: 'redis-master-2', host: 'nowhere' }, code: 404, reason: 'NotFound' });

let f: ApiFixture;
let before: Awaited<ReturnType<ApiFixture['dump']>>;

beforeAll(async () => {
  f = await startApiFixture();
  for (const [file, resource] of [
    ['redis-master.json', 'pods'],
    ['redis-master-service.json', 'services'],
    ['redis-slave-service.json', 'services'],
    ['redis-slave-controller.json', 'replicationControllers'],
  ]) {
    const r = await call(f.url, 'POST', `${P}/${resource}`, seed(file));
    if (r.status !== 201) throw new Error(`seeding ${file}: ${r.status} ${r.text}`);
  }
  expect((await call(f.url, 'POST', '/api/v1/namespaces', { metadata: { name: 'quota-ns' } })).status).toBe(201);
  for (const [resource, body] of [
    ['resourcequotas', { kind: 'ResourceQuota', metadata: { name: 'tight' }, spec: { hard: { pods: '0' } } }],
    ['limitranges', { kind: 'LimitRange', metadata: { name: 'cpu' }, spec: { limits: [{ type: 'Container', max: { cpu: '1' } }] } }],
  ] as const) {
    const r = await call(f.url, 'POST', `/api/v1/namespaces/quota-ns/${resource}`, body);
    if (r.status !== 201) throw new Error(`seeding ${resource}: ${r.status} ${r.text}`);
  }
  before = await f.dump();
}, 30_000);
afterAll(() => f?.stop(), 30_000);

describe(`a corpus of ${cases.length} bad requests`, () => {
  it('has at least 100 cases', () => expect(cases.length).toBeGreaterThanOrEqual(100));

  it.each(cases.map((c) => [c.name, c]))('%s', async (_name, c) => {
    const r = await call(f.url, c.method, c.path, c.body, c.headers);
    const summary = `${c.method} ${c.path} -> ${r.status} ${r.text.slice(0, 400)}`;
    expect({ summary, status: r.status }).toEqual({ summary, status: c.code });
    expect(r.json).toMatchObject({ kind: 'Status', status: 'Failure', code: c.code });
    expect(typeof r.json.message).toBe('string');
    if (c.reason) expect(r.json.reason).toBe(c.reason);
    if (c.message) {
      const said = [r.json.message, ...(r.json.details?.causes ?? []).map((x: any) => x.message)].join('\n');
      expect({ summary, says: said.includes(c.message) }).toEqual({ summary, says: true });
    }
    if (c.field) {
      const wanted = Array.isArray(c.field) ? c.field : [c.field];
      const fields: string[] = (r.json.details?.causes ?? []).map((x: any) => x.field);
      expect({ summary, named: fields.some((x) => wanted.includes(x)) }).toEqual({ summary, named: true });
    }
  });

  it('a chunked body that grows past the limit is cut off with 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${f.url}${P}/pods`, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(256 * 1024, 'x');
      let sent = 0;
      const pump = () => {
        while (sent < 8 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
  });

  it('left etcd exactly as it was, and the server still serves', async () => {
    expect(await f.dump()).toEqual(before);
    expect((await call(f.url, 'GET', '/healthz')).status).toBe(200);
    const list = await call(f.url, 'GET', `${P}/pods`);
    expect(list.json.items.map((p: any) => p.id)).toEqual(['redis-master-2']);
    const created = await call(f.url, 'POST', `${P}/pods`, pod());
    expect(created.status).toBe(201);
  });
});
