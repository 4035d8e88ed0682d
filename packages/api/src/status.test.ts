import { AlreadyExistsError, BadRequestError, ConflictError, ExpiredError, InvalidError, NotFoundError, UnavailableError } from '@coxswain/objects';
import type { Codec } from './codecs/codec';
import { HttpError, toStatus } from './status';

const codec = {
  version: 'v1beta1',
  fieldPath: (_r: string, p: string) => p.replace('spec.containers', 'desiredState.manifest.containers').replace('metadata.name', 'id'),
} as unknown as Codec;

describe('toStatus', () => {
  const ctx = { version: 'v1beta1', codec, resource: 'pods' as const, kind: 'Pod' };

  it.each([
    [new NotFoundError('pods', 'a'), 404, 'NotFound'],
    [new AlreadyExistsError('pods', 'a'), 409, 'AlreadyExists'],
    [new ConflictError('pods', 'a', 'stale'), 409, 'Conflict'],
    [new ExpiredError('3', '10'), 410, 'Expired'],
    [new UnavailableError('etcd down'), 503, 'ServiceUnavailable'],
    [new BadRequestError('bad selector'), 400, 'BadRequest'],
    [new HttpError(405, 'MethodNotAllowed', 'no'), 405, 'MethodNotAllowed'],
    [new Error('boom'), 500, 'InternalError'],
  ])('%s -> %i %s', (err, code, reason) => {
    const s = toStatus(err, ctx);
    expect(s).toMatchObject({ kind: 'Status', apiVersion: 'v1beta1', status: 'Failure', code, reason });
    expect(s.message).toBeTruthy();
  });

  it('maps store validation paths into the wire version and names each field', () => {
    const s = toStatus(
      new InvalidError('Pod', 'p', [
        { field: 'spec.containers[0].image', message: 'required' },
        { field: 'metadata.name', message: 'invalid name' },
      ]),
      ctx,
    );
    expect(s.code).toBe(422);
    expect(s.details).toMatchObject({ name: 'p', kind: 'Pod' });
    expect(s.details!.causes!.map((c) => c.field)).toEqual(['desiredState.manifest.containers[0].image', 'id']);
    expect(s.message).toContain('desiredState.manifest.containers[0].image: required');
  });
});
