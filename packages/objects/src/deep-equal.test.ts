import { deepEqual, sameFields } from './deep-equal';

describe('deepEqual', () => {
  it('ignores key order and undefined-valued keys', () => {
    expect(deepEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(deepEqual({ a: 1, x: undefined }, { a: 1 })).toBe(true);
  });
  it('sees real differences', () => {
    expect(deepEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(deepEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(deepEqual({ a: {} }, { a: [] })).toBe(false);
    expect(deepEqual({ a: null }, { a: {} })).toBe(false);
    expect(deepEqual({ a: 1 }, { a: 1, b: 0 })).toBe(false);
    expect(deepEqual({ a: 1 }, { a: '1' })).toBe(false);
    expect(deepEqual({ a: [1, { c: 2 }] }, { a: [1, { c: 3 }] })).toBe(false);
  });
  it('skips excepted fields', () => {
    expect(sameFields({ a: 1, s: 1 }, { a: 1, s: 2 }, new Set(['s']))).toBe(true);
    expect(sameFields({ a: 1, s: 1 }, { a: 2, s: 1 }, new Set(['s']))).toBe(false);
  });
});
