import { ApplyConflictError, managedFieldsOf, recordUpdate, serverSideApply } from './server-side-apply';

const NOW = '2026-01-01T00:00:00Z';
const pod = (containers: Record<string, unknown>[], labels: Record<string, string> = { app: 'web' }) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels },
  spec: { containers },
});
const apply = (current: Record<string, unknown> | undefined, config: Record<string, unknown>, manager = 'alice', force = false) =>
  serverSideApply(current, { kind: 'Pod', manager, force, config, now: NOW });
const spec = (o: any) => o.spec.containers;

describe('server-side apply', () => {
  it('creates from the config and records the applier as the Apply manager', () => {
    const created = apply(undefined, pod([{ name: 'web', image: 'nginx:1' }]));
    expect(spec(created)).toEqual([{ name: 'web', image: 'nginx:1' }]);
    expect(managedFieldsOf(created)).toEqual([
      expect.objectContaining({ manager: 'alice', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: expect.objectContaining({ 'f:spec': expect.anything() }) }),
    ]);
  });

  it('applying the same config twice changes nothing', () => {
    const once = apply(undefined, pod([{ name: 'web', image: 'nginx:1' }]));
    const later = serverSideApply(once, { kind: 'Pod', manager: 'alice', force: false, config: pod([{ name: 'web', image: 'nginx:1' }]), now: '2026-01-02T00:00:00Z' });
    expect(later).toEqual(once);
  });

  it('merges keyed lists by their keys: a second manager adds a container and both keep theirs', () => {
    const a = apply(undefined, pod([{ name: 'web', image: 'nginx:1' }]));
    const b = apply(a, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'side', image: 'busybox' }] } }, 'bob');
    expect(spec(b).map((c: any) => c.name)).toEqual(['web', 'side']);
    expect(managedFieldsOf(b).map((e) => e.manager)).toEqual(['alice', 'bob']);
  });

  it('a field another manager set to another value is a conflict naming the field and the manager; force takes it', () => {
    const a = apply(undefined, pod([{ name: 'web', image: 'nginx:1' }]));
    const config = pod([{ name: 'web', image: 'nginx:2' }]);
    let caught: unknown;
    try {
      apply(a, config, 'bob');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ApplyConflictError);
    expect((caught as ApplyConflictError).conflicts).toEqual([{ manager: 'alice', field: '.spec.containers[name="web"].image' }]);
    const forced = apply(a, config, 'bob', true);
    expect(spec(forced)[0].image).toBe('nginx:2');
    const alice = managedFieldsOf(forced).find((e) => e.manager === 'alice')!;
    expect(JSON.stringify(alice.fieldsV1)).not.toContain('f:image');
  });

  it('the same value set by two managers is shared, not a conflict', () => {
    const a = apply(undefined, pod([{ name: 'web', image: 'nginx:1' }]));
    expect(() => apply(a, pod([{ name: 'web', image: 'nginx:1' }]), 'bob')).not.toThrow();
  });

  it('a field dropped from the config is removed unless another manager owns it', () => {
    const a = apply(undefined, pod([{ name: 'web', image: 'nginx:1' }, { name: 'side', image: 'busybox' }], { app: 'web', tier: 'front' }));
    const shared = apply(a, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { tier: 'front' } } }, 'bob');
    const dropped = apply(shared, pod([{ name: 'web', image: 'nginx:1' }], { app: 'web' }));
    expect(spec(dropped).map((c: any) => c.name)).toEqual(['web']);
    expect((dropped.metadata as any).labels).toEqual({ app: 'web', tier: 'front' });
  });

  it('an Update by another manager takes the fields it changed', () => {
    const a = apply(undefined, pod([{ name: 'web', image: 'nginx:1' }]));
    const edited = structuredClone(a) as any;
    edited.spec.containers[0].image = 'nginx:3';
    const recorded = recordUpdate('Pod', a, edited, 'kubectl-edit', 'v1', NOW);
    const entries = managedFieldsOf(recorded);
    expect(entries.map((e) => [e.manager, e.operation])).toEqual([['alice', 'Apply'], ['kubectl-edit', 'Update']]);
    expect(JSON.stringify(entries[1].fieldsV1)).toContain('f:image');
    expect(JSON.stringify(entries[0].fieldsV1)).not.toContain('f:image');
    expect(() => apply(recorded, pod([{ name: 'web', image: 'nginx:1' }]))).toThrow(/conflict with "kubectl-edit": \.spec\.containers\[name="web"\]\.image/);
  });

  it('an Update owns a list element only when it adds it, and a write that changes nothing keeps its entry as it was', () => {
    const a = apply(undefined, pod([{ name: 'web', image: 'nginx:1' }]));
    const edited = structuredClone(a) as any;
    edited.spec.containers[0].image = 'nginx:2';
    edited.spec.containers.push({ name: 'side', image: 'side:1' });
    const recorded = recordUpdate('Pod', a, edited, 'bob', 'v1', NOW);
    expect(managedFieldsOf(recorded)[1].fieldsV1).toEqual({
      'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {} }, 'k:{"name":"side"}': { '.': {}, 'f:name': {}, 'f:image': {} } } },
    });
    expect(recordUpdate('Pod', recorded, structuredClone(recorded), 'bob', 'v1', '2026-02-01T00:00:00Z')).toEqual(recorded);
  });
});
