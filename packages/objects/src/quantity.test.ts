import { BadRequestError } from './errors';
import { formatCpu, formatMemory, isCpuQuantity, isMemoryQuantity, parseCpu, parseMemory } from './quantity';

describe('quantities', () => {
  it.each([
    ['250m', 250],
    ['1', 1000],
    ['0.5', 500],
    ['1.5', 1500],
    ['0.0001', 1],
    [2, 2000],
  ])('cpu %s = %d millicores', (q, m) => expect(parseCpu(q)).toBe(m));

  it.each([
    ['64Mi', 64 * 1024 * 1024],
    ['1G', 1e9],
    ['1000', 1000],
    ['1k', 1000],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['128974848', 128974848],
  ])('memory %s = %d bytes', (q, b) => expect(parseMemory(q)).toBe(b));

  it('rejects nonsense', () => {
    expect(() => parseCpu('lots')).toThrow(BadRequestError);
    expect(() => parseCpu('1Gi')).toThrow('invalid cpu quantity "1Gi"');
    expect(() => parseMemory('64MB')).toThrow('invalid memory quantity "64MB"');
    expect(() => parseMemory('-1')).toThrow(BadRequestError);
    expect(isCpuQuantity('100m')).toBe(true);
    expect(isMemoryQuantity('')).toBe(false);
  });

  it('formats back to a form that parses to the same number', () => {
    expect(formatCpu(250)).toBe('250m');
    expect(formatCpu(2000)).toBe('2');
    expect(formatMemory(64 * 2 ** 20)).toBe('64Mi');
    expect(formatMemory(1e9)).toBe('1G');
    expect(formatMemory(1500)).toBe('1500');
    for (const b of [0, 1, 1000, 1024, 1536, 3 * 2 ** 30, 5e12]) expect(parseMemory(formatMemory(b))).toBe(b);
    for (const m of [1, 250, 999, 1000, 1500]) expect(parseCpu(formatCpu(m))).toBe(m);
  });
});

describe('quantity bounds and exponents', () => {
  it('takes the decimal exponent form', () => {
    expect(parseMemory('1e3')).toBe(1000);
    expect(parseCpu('5e-1')).toBe(500);
    expect(parseMemory('1E')).toBe(1e18);
  });

  it('refuses a quantity past int64', () => {
    expect(() => parseMemory('1e30')).toThrow('memory quantity "1e30" is more than the largest quantity, 2^63-1 bytes');
    expect(() => parseMemory(1e30)).toThrow(BadRequestError);
    expect(() => parseMemory('7Ei')).not.toThrow();
    expect(() => parseMemory('8Ei')).toThrow(BadRequestError); // 2^63 exactly
    expect(() => parseCpu('1e17')).toThrow('cpu quantity "1e17" is more than the largest quantity, 2^63-1 millicores');
  });
});
