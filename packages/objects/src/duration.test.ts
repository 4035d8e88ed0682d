import { DurationError, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['2h', 7_200_000],
    ['5m', 300_000],
    ['40s', 40_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['1.5s', 1500],
    ['0s', 0],
    ['30', 30_000],
    ['0.25', 250],
    [' 10s ', 10_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text, '--timeout')).toBe(ms);
  });

  it('takes a number as seconds', () => {
    expect(parseDuration(3, '--timeout')).toBe(3000);
  });

  it.each(['', 'soon', '10x', '1m30', 's', '-5s', '1 m', 'ms500', '5sm', '1e3', '1.s'])(
    'refuses %j with one line naming the flag',
    (text) => {
      let error: unknown;
      try {
        parseDuration(text, '--grace-period');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DurationError);
      expect((error as Error).message).toBe(
        `--grace-period: "${text}" is not a duration (e.g. 1m30s, 40s, 500ms, 2h, or plain seconds such as 30)`,
      );
    },
  );

  it('refuses a negative or non-finite number', () => {
    expect(() => parseDuration(-1, '-u')).toThrow('-u: "-1" is not a duration');
    expect(() => parseDuration(NaN, '-u')).toThrow(DurationError);
  });
});
