import { parseDuration } from './duration';

describe('parseDuration', () => {
  it('reads Go-style durations and bare seconds', () => {
    expect(parseDuration('1m', '-u')).toBe(60_000);
    expect(parseDuration('1m30s', '-u')).toBe(90_000);
    expect(parseDuration('500ms', '-u')).toBe(500);
    expect(parseDuration('0s', '-u')).toBe(0);
    expect(parseDuration('2', '--timeout')).toBe(2000);
    expect(parseDuration(3, '--timeout')).toBe(3000);
  });

  it('refuses anything else, naming the flag', () => {
    expect(() => parseDuration('soon', '--timeout')).toThrow('--timeout takes a duration');
    expect(() => parseDuration('10x', '-u')).toThrow('-u takes a duration');
    expect(() => parseDuration('', '-u')).toThrow();
  });
});
