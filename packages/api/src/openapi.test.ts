import { OpenApiV3 } from './openapi';

const api = new OpenApiV3(['v1beta1', 'v1', 'apps/v1', 'autoscaling/v1']);
const doc = (gv: string) => JSON.parse(api.document(gv)!.text);

describe('OpenAPI v3 from the JSON Schemas', () => {
  it('indexes the v1 side by hash, not the seed\'s v1beta1', () => {
    const index = api.index() as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(index.paths).sort()).toEqual(['api/v1', 'apis/apps/v1', 'apis/autoscaling/v1']);
    expect(index.paths['api/v1']!.serverRelativeURL).toMatch(/^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{64}$/);
    expect(api.document('v1beta1')).toBeUndefined();
  });

  it('names each kind as Kubernetes does, with its group-version-kind; Minion is v1\'s Node', () => {
    const schemas = doc('v1').components.schemas;
    expect(schemas['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind']).toEqual([{ group: '', version: 'v1', kind: 'Pod' }]);
    expect(schemas['io.k8s.api.core.v1.Node']['x-kubernetes-group-version-kind']).toEqual([{ group: '', version: 'v1', kind: 'Node' }]);
    expect(doc('apps/v1').components.schemas['io.k8s.api.apps.v1.Deployment']).toBeDefined();
  });

  it('marks keyed lists from the merge-key table, and int-or-string fields as Kubernetes does', () => {
    const pod = doc('v1').components.schemas['io.k8s.api.core.v1.Pod'];
    const containers = pod.properties.spec.properties.containers;
    expect(containers).toMatchObject({ type: 'array', 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] });
    expect(containers.items.properties.ports['x-kubernetes-patch-merge-key']).toBe('containerPort');
    expect(containers.items.properties.command['x-kubernetes-patch-merge-key']).toBeUndefined();
    const svc = doc('v1').components.schemas['io.k8s.api.core.v1.Service'];
    expect(svc.properties.spec.properties.ports.items.properties.targetPort['x-kubernetes-int-or-string']).toBe(true);
    expect(JSON.stringify(doc('v1'))).not.toMatch(/"\$ref":"defs\.json|"const":/);
  });

  it('offers fieldValidation on every write, so kubectl leaves validation to the server', () => {
    const paths = doc('v1').paths;
    const item = paths['/api/v1/namespaces/{namespace}/pods/{name}'];
    for (const op of [paths['/api/v1/namespaces/{namespace}/pods'].post, item.put, item.patch]) {
      expect(op['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Pod' });
      expect(op.parameters.map((p: { name: string }) => p.name)).toContain('fieldValidation');
    }
    expect(paths['/api/v1/nodes/{name}']).toBeDefined();
  });
});
