import type { Condition } from '@coxswain/objects';
import { deploymentReplicaFailure, replicaFailureConditions } from './replica-failure';

const T0 = new Date('2026-01-01T00:00:00Z');
const T1 = new Date('2026-01-01T00:01:00Z');
const other: Condition = { type: 'Other', status: 'True' };

describe('replicaFailureConditions', () => {
  it('sets ReplicaFailure with reason FailedCreate and the error message when creating failed', () => {
    expect(replicaFailureConditions([other], { createFailed: new Error('exceeded quota: q') }, T0)).toEqual([
      other,
      { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'exceeded quota: q', lastTransitionTime: T0.toISOString() },
    ]);
  });

  it('keeps the transition time while it stays set, with the latest message', () => {
    const before = replicaFailureConditions(undefined, { createFailed: new Error('first') }, T0);
    expect(replicaFailureConditions(before, { createFailed: new Error('second') }, T1)).toEqual([
      { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'second', lastTransitionTime: T0.toISOString() },
    ]);
  });

  it('removes it after a sync without error, and leaves it alone when the sync did not try', () => {
    const failing = replicaFailureConditions([other], { createFailed: new Error('x') }, T0);
    expect(replicaFailureConditions(failing, { skipped: true }, T1)).toEqual(failing);
    expect(replicaFailureConditions(failing, { ok: true }, T1)).toEqual([other]);
    expect(replicaFailureConditions(replicaFailureConditions(undefined, { createFailed: new Error('x') }, T0), { ok: true }, T1)).toBeUndefined();
  });
});

describe('deploymentReplicaFailure', () => {
  it("is the first controller's ReplicaFailure that is True, without its transition time", () => {
    const failing = { status: { conditions: [{ type: 'ReplicaFailure', status: 'True' as const, reason: 'FailedCreate', message: 'm', lastTransitionTime: T0.toISOString() }] } };
    expect(deploymentReplicaFailure([{ status: {} }, failing])).toEqual({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'm' });
    expect(deploymentReplicaFailure([{}, { status: { conditions: [other] } }])).toBeUndefined();
  });
});
