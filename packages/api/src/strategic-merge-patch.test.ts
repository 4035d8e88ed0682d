// Strategic merge patch semantics, with bodies shaped as kubectl writes them.
import { applyStrategicMergePatch as apply, PatchError } from './strategic-merge-patch';

// The fixtures are plain literals; the function takes JSON maps.
const applyStrategicMergePatch = (kind: string, target: any, patch: any): any => apply(kind, target, patch);

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
  spec: {
    containers: [
      { name: 'app', image: 'app:1', ports: [{ containerPort: 80 }, { containerPort: 443 }], env: [{ name: 'A', value: '1' }] },
      { name: 'side', image: 'side:1', args: ['-v', '-x'] },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
});

it('merges containers by name: one image changes, the other container stays', () => {
  const out: any = applyStrategicMergePatch('Pod', pod(), { spec: { containers: [{ name: 'side', image: 'side:2' }] } });
  expect(out.spec.containers.map((c: any) => `${c.name}=${c.image}`)).toEqual(['app=app:1', 'side=side:2']);
  expect(out.spec.containers[1].args).toEqual(['-v', '-x']);
});

it('merges container ports by containerPort and env by name, appending new ones', () => {
  const out: any = applyStrategicMergePatch('Pod', pod(), {
    spec: { containers: [{ name: 'app', ports: [{ containerPort: 443, name: 'tls' }, { containerPort: 8080 }], env: [{ name: 'B', value: '2' }] }] },
  });
  expect(out.spec.containers[0].ports).toEqual([{ containerPort: 80 }, { containerPort: 443, name: 'tls' }, { containerPort: 8080 }]);
  expect(out.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
});

it('replaces a list without a merge key (args) and merges maps like a merge patch', () => {
  const out: any = applyStrategicMergePatch('Pod', pod(), { metadata: { labels: { tier: null, v: '2' } }, spec: { containers: [{ name: 'side', args: ['-q'] }] } });
  expect(out.metadata.labels).toEqual({ app: 'web', v: '2' });
  expect(out.spec.containers[1].args).toEqual(['-q']);
});

it('$patch: delete removes a keyed element; $patch: replace replaces a list or a map', () => {
  const del: any = applyStrategicMergePatch('Pod', pod(), { spec: { containers: [{ name: 'side', $patch: 'delete' }] } });
  expect(del.spec.containers.map((c: any) => c.name)).toEqual(['app']);
  const repl: any = applyStrategicMergePatch('Pod', pod(), { spec: { volumes: [{ name: 'cache', emptyDir: {} }, { $patch: 'replace' }] } });
  expect(repl.spec.volumes).toEqual([{ name: 'cache', emptyDir: {} }]);
  const map: any = applyStrategicMergePatch('Pod', pod(), { metadata: { labels: { only: 'this', $patch: 'replace' } } });
  expect(map.metadata.labels).toEqual({ only: 'this' });
  const gone: any = applyStrategicMergePatch('Pod', pod(), { metadata: { labels: { $patch: 'delete' } } });
  expect(gone.metadata.labels).toBeUndefined();
});

it('keyed lists under an RC template and service ports merge too', () => {
  const rc = { kind: 'ReplicationController', spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } } } };
  const out: any = applyStrategicMergePatch('ReplicationController', rc, { spec: { replicas: 3, template: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } } });
  expect(out.spec.replicas).toBe(3);
  expect(out.spec.template.spec.containers).toEqual([{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }]);
  const svc = { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }] } };
  const s: any = applyStrategicMergePatch('Service', svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } });
  expect(s.spec.ports).toEqual([{ port: 80, targetPort: 9090 }, { port: 443, targetPort: 8443 }]);
});

it("kubectl apply's body after a change: $setElementOrder orders the merged list", () => {
  // What kubectl apply sends when the file adds container "first" before "app" and changes side's image.
  const out: any = applyStrategicMergePatch('Pod', pod(), {
    spec: {
      '$setElementOrder/containers': [{ name: 'first' }, { name: 'app' }, { name: 'side' }],
      containers: [{ name: 'first', image: 'f:1' }, { name: 'side', image: 'side:2' }],
    } as any,
  });
  expect(out.spec.containers.map((c: any) => c.name)).toEqual(['first', 'app', 'side']);
  expect(out.spec.containers[2].image).toBe('side:2');
  expect(JSON.stringify(out)).not.toContain('$setElementOrder');
});

it('$retainKeys keeps only the listed keys; $deleteFromPrimitiveList removes scalars', () => {
  const out: any = applyStrategicMergePatch('Pod', pod(), { spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/x' } }] } });
  expect(out.spec.volumes).toEqual([{ name: 'data', hostPath: { path: '/x' } }]);
  const prim: any = applyStrategicMergePatch('Pod', pod(), { spec: { containers: [{ name: 'side', '$deleteFromPrimitiveList/args': ['-x'] }] } });
  expect(prim.spec.containers[1].args).toEqual(['-v']);
});

it('refuses an unknown directive and a keyed element without its key, naming the field', () => {
  const err = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e as PatchError;
    }
    throw new Error('no error');
  };
  const unknown = err(() => applyStrategicMergePatch('Pod', pod(), { metadata: { labels: { $patch: 'explode' } } }));
  expect(unknown).toBeInstanceOf(PatchError);
  expect(unknown.field).toBe('metadata.labels.$patch');
  const noKey = err(() => applyStrategicMergePatch('Pod', pod(), { spec: { containers: [{ image: 'x' }] } }));
  expect(noKey.field).toBe('spec.containers[0]');
  expect(noKey.reason).toContain('"name"');
});

it('does not modify its arguments', () => {
  const target = pod();
  const before = JSON.stringify(target);
  const patch = { spec: { containers: [{ name: 'app', image: 'app:2' }] } };
  applyStrategicMergePatch('Pod', target, patch);
  expect(JSON.stringify(target)).toBe(before);
  expect(patch.spec.containers[0]).toEqual({ name: 'app', image: 'app:2' });
});
