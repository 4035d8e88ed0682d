// dryRun on the registry (in memory): every write answers as it would and the storage's revision
// does not move.
import { AlreadyExistsError, ConflictError, InvalidError, type Pod } from '@coxswain/objects';
import { memoryRegistry } from '@coxswain/testing';

const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'a', image: 'a:1' }] } });

it('create, update, status, guaranteedUpdate and delete answer without writing', async () => {
  const r = memoryRegistry();
  const stored = await r.create(pod('p'));
  const revision = await r.currentRevision();

  const created = await r.create(pod('q'), { dryRun: true });
  expect(created.metadata).toMatchObject({ name: 'q', generation: 1 });
  expect(created.metadata.uid).toBeTruthy();
  await expect(r.create(pod('p'), { dryRun: true })).rejects.toBeInstanceOf(AlreadyExistsError);
  const bad = pod('bad');
  bad.spec.containers[0].image = '';
  await expect(r.create(bad, { dryRun: true })).rejects.toBeInstanceOf(InvalidError);

  const updated = await r.update({ ...stored, metadata: { ...stored.metadata, labels: { x: 'y' } } }, { dryRun: true });
  expect(updated.metadata.labels).toEqual({ x: 'y' });
  expect(updated.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);
  await expect(r.update({ ...stored, metadata: { ...stored.metadata, resourceVersion: '1' } }, { dryRun: true })).rejects.toBeInstanceOf(ConflictError);
  const status = await r.updateStatus({ ...stored, status: { phase: 'Running' } } as Pod, { dryRun: true });
  expect(status.status?.phase).toBe('Running');
  const g = await r.guaranteedUpdate<Pod>('pods', 'default', 'p', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { g: '1' } } }), { dryRun: true });
  expect(g.metadata.labels).toEqual({ g: '1' });
  await r.delete('pods', 'default', 'p', { dryRun: true });
  await expect(r.delete('pods', 'default', 'p', { dryRun: true, preconditions: { uid: 'other' } })).rejects.toBeInstanceOf(ConflictError);

  expect(await r.currentRevision()).toBe(revision);
  expect(await r.get('pods', 'default', 'p')).toEqual(stored);
  expect((await r.list('pods')).items.map((p) => p.metadata.name)).toEqual(['p']);
});
