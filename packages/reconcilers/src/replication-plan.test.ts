import { deletionOrder, planReplication, podFromTemplate } from './replication-plan';
import { pod, rc } from './testing/fixtures';

const owner = { name: 'web', uid: 'uid-web' };
const sel = { app: 'web' };

describe('planReplication', () => {
  it('creates the missing pods', () => {
    const plan = planReplication(rc('web', 4, sel), [pod('a', { labels: sel, owner })]);
    expect(plan.create).toBe(3);
    expect(plan.delete).toEqual([]);
    expect(plan.status).toEqual({ replicas: 1, readyReplicas: 0, observedGeneration: 1 });
  });

  it('adopts matching orphans and counts them, ignores pods of other controllers and namespaces', () => {
    const pods = [
      pod('orphan', { labels: sel }),
      pod('other', { labels: sel, owner: { name: 'x', uid: 'uid-x' } }),
      pod('elsewhere', { labels: sel, namespace: 'prod' }),
      pod('mine', { labels: sel, owner }),
      pod('unrelated', { labels: { app: 'db' } }),
    ];
    const plan = planReplication(rc('web', 2, sel), pods);
    expect(plan.adopt.map((p) => p.metadata.name)).toEqual(['orphan']);
    expect(plan.active.map((p) => p.metadata.name).sort()).toEqual(['mine', 'orphan']);
    expect(plan.create).toBe(0);
    expect(plan.delete).toEqual([]);
  });

  it('releases owned pods whose labels stopped matching and replaces them', () => {
    const plan = planReplication(rc('web', 1, sel), [pod('debug-me', { labels: { app: 'debug' }, owner })]);
    expect(plan.release.map((p) => p.metadata.name)).toEqual(['debug-me']);
    expect(plan.create).toBe(1);
  });

  it('does not count finished pods', () => {
    const plan = planReplication(rc('web', 1, sel), [pod('done', { labels: sel, owner, nodeName: 'm', phase: 'Failed' })]);
    expect(plan.create).toBe(1);
    expect(plan.status.replicas).toBe(0);
  });

  it('deletes unbound first, then not running, then not ready, then newest', () => {
    const pods = [
      pod('ready-old', { labels: sel, owner, nodeName: 'm', ready: true, creationTimestamp: '2024-01-01T00:00:00Z' }),
      pod('ready-new', { labels: sel, owner, nodeName: 'm', ready: true, creationTimestamp: '2024-01-02T00:00:00Z' }),
      pod('running-unready', { labels: sel, owner, nodeName: 'm', ready: false }),
      pod('pending-bound', { labels: sel, owner, nodeName: 'm', phase: 'Pending' }),
      pod('unbound', { labels: sel, owner }),
    ];
    const order = [...pods].sort(deletionOrder).map((p) => p.metadata.name);
    expect(order).toEqual(['unbound', 'pending-bound', 'running-unready', 'ready-new', 'ready-old']);
    const plan = planReplication(rc('web', 1, sel), pods);
    expect(plan.delete.map((p) => p.metadata.name)).toEqual(['unbound', 'pending-bound', 'running-unready', 'ready-new']);
    expect(plan.status.readyReplicas).toBe(2);
  });

  it('caps one round of creations at the burst', () => {
    expect(planReplication(rc('web', 1000, sel), [], 100).create).toBe(100);
  });
});

describe('podFromTemplate', () => {
  it('carries the template, a generated name, the controller label and an owner reference', () => {
    const c = rc('redisSlaveController', 2, { name: 'redisslave' }, { hostPort: 6380, uid: 'u1' });
    const p = podFromTemplate(c);
    expect(p.metadata.generateName).toBe('redisSlaveController-');
    expect(p.metadata.labels).toEqual({ name: 'redisslave', replicationController: 'redisSlaveController' });
    expect(p.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'ReplicationController', name: 'redisSlaveController', uid: 'u1', controller: true },
    ]);
    expect(p.spec.containers[0].ports).toEqual([{ containerPort: 6379, hostPort: 6380 }]);
    // A copy: editing the pod must not edit the cached controller.
    p.spec.containers[0].image = 'changed';
    expect(c.spec.template.spec.containers[0].image).toBe('busybox');
  });
});
