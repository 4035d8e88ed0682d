import { openApiV3Documents, openApiV3Index } from './openapi-v3';

type Schema = Record<string, any>;

function doc(key: string): { components: { schemas: Record<string, Schema> } } {
  const found = openApiV3Documents().get(key);
  if (!found) throw new Error(`no document ${key}`);
  return JSON.parse(found.body);
}

function deref(schemas: Record<string, Schema>, node: Schema): Schema {
  return node.$ref ? schemas[node.$ref.replace('#/components/schemas/', '')] : node;
}

describe('OpenAPI v3 from the JSON Schemas', () => {
  it('indexes one document per served group version, each URL carrying its hash', () => {
    const { paths } = openApiV3Index();
    expect(Object.keys(paths).sort()).toEqual(expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/autoscaling/v1']));
    expect(paths['api/v1'].serverRelativeURL).toBe(`/openapi/v3/api/v1?hash=${openApiV3Documents().get('api/v1')!.hash}`);
  });

  it('tags each kind with its group-version-kind, only in its own group version', () => {
    const core = doc('api/v1').components.schemas;
    const pod = Object.values(core).find((s) => s['x-kubernetes-group-version-kind']?.[0]?.kind === 'Pod');
    expect(pod?.['x-kubernetes-group-version-kind']).toEqual([{ group: '', version: 'v1', kind: 'Pod' }]);
    const apps = Object.values(doc('apis/apps/v1').components.schemas).map((s) => s['x-kubernetes-group-version-kind']?.[0]?.kind).filter(Boolean);
    expect(apps).toEqual(['Deployment']);
  });

  it('marks keyed lists from the merge-key table and leaves refs resolvable', () => {
    const schemas = doc('api/v1').components.schemas;
    const pod = Object.values(schemas).find((s) => s['x-kubernetes-group-version-kind']?.[0]?.kind === 'Pod')!;
    const spec = deref(schemas, pod.properties.spec);
    expect(spec.properties.containers).toMatchObject({
      type: 'array',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    });
    const container = deref(schemas, spec.properties.containers.items);
    expect(container.properties.ports['x-kubernetes-list-map-keys']).toEqual(['containerPort']);
    const body = openApiV3Documents().get('api/v1')!.body;
    for (const [, name] of body.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) expect(schemas[name]).toBeDefined();
    expect(body).not.toContain('"const"');
  });
});
