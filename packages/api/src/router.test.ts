import { Router } from './router';
import { HttpError } from './status';

describe('Router', () => {
  const h = async () => undefined;
  const r = new Router().on('GET', '/api/:version/:resource', h).on(['GET', 'PUT', 'DELETE'], '/api/:version/:resource/:name', h);

  it('matches with params and query', () => {
    const m = r.match('GET', '/api/v1beta1/pods/x?namespace=a&labels=b%3Dc');
    expect(m.params).toMatchObject({ version: 'v1beta1', resource: 'pods', name: 'x' });
    expect(m.query.get('labels')).toBe('b=c');
  });

  it('answers 405 with Allow for a known path under another method, 404 for an unknown path', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as HttpError;
      }
      throw new Error('no error');
    };
    const e405 = err(() => r.match('POST', '/api/v1/pods/x'));
    expect(e405.code).toBe(405);
    expect(e405.headers?.Allow).toBe('GET, PUT, DELETE');
    expect(err(() => r.match('GET', '/nope')).code).toBe(404);
  });
});
