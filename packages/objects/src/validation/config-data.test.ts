import { configKeyProblem, mergeStringData } from './config-data';
import type { Secret } from '../types';

describe('configKeyProblem', () => {
  it.each(['app.conf', 'nginx-site_1', '.hidden', 'A.B-c_d'])('accepts %s as a file name', (key) => {
    expect(configKeyProblem(key)).toBeUndefined();
  });
  it.each([
    ['conf/app', /no '\/'/],
    ['', /empty/],
    ['..data', /start with '\.\.'/],
    ['.', /must not be/],
    ['a b', /letters, digits/],
    ['x'.repeat(254), /longer than 253/],
  ])('refuses %j', (key, message) => {
    expect(configKeyProblem(key)).toMatch(message);
  });
});

describe('mergeStringData', () => {
  const secret = (fields: Partial<Secret>): Secret => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, ...fields });

  it('encodes each value into data, over a data key of the same name, and drops stringData', () => {
    const s = secret({ data: { a: 'b2xk', keep: 'eA==' }, stringData: { a: 'new', b: 'ü' } });
    mergeStringData(s);
    expect(s).toEqual(secret({ data: { a: 'bmV3', keep: 'eA==', b: Buffer.from('ü').toString('base64') } }));
  });

  it('leaves a stringData with a bad key as sent, for validation to name', () => {
    const s = secret({ stringData: { 'a/b': 'x' } });
    mergeStringData(s);
    expect(s.stringData).toEqual({ 'a/b': 'x' });
    expect(s.data).toBeUndefined();
  });
});
