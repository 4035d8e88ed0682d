import { memoryBytes, milliCpu, parseQuantity } from './quantity';

describe('quantity', () => {
  it('parses cpu to millicores', () => {
    expect(milliCpu('250m')).toBe(250);
    expect(milliCpu('1')).toBe(1000);
    expect(milliCpu('0.5')).toBe(500);
    expect(milliCpu('2.25')).toBe(2250);
    expect(milliCpu(undefined)).toBe(0);
  });

  it('parses memory to bytes, binary and decimal suffixes', () => {
    expect(memoryBytes('64Mi')).toBe(64 * 1024 * 1024);
    expect(memoryBytes('1G')).toBe(1e9);
    expect(memoryBytes('1000000')).toBe(1_000_000);
    expect(memoryBytes('1e3')).toBe(1000);
    expect(memoryBytes('1Ki')).toBe(1024);
  });

  it('rejects malformed quantities', () => {
    expect(() => parseQuantity('abc')).toThrow(/invalid quantity/);
    expect(() => parseQuantity('10 Mi')).toThrow();
    expect(() => parseQuantity('')).toThrow();
  });
});
