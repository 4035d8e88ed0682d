// Durations on command lines, one grammar for every flag of every binary (kubecfg's -u and
// --timeout, coxswain's --grace-period, --udp-session-timeout, ...): Go-style, as the seed's flags
// took them — one or more <number><unit> with units h, m, s, ms (`2h`, `1m30s`, `500ms`, `1.5s`),
// or a plain number of seconds (`30`). No sign: a flag's duration is never negative.

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const NUMBER = /^\d+(?:\.\d+)?$/;
// `ms` before `m`, so that `500ms` is not read as 500 minutes and a stray `s`.
const TERM = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;

/** Thrown for a value that is not a duration; the message names the flag and the grammar. */
export class DurationError extends Error {
  constructor(readonly flag: string, readonly value: string) {
    super(`${flag}: "${value}" is not a duration (e.g. 1m30s, 40s, 500ms, 2h, or plain seconds such as 30)`);
    this.name = 'DurationError';
  }
}

/**
 * Milliseconds in a duration flag's value. `flag` is the flag as the user typed it (`--timeout`,
 * `-u`), for the error message. A number (yargs may hand one over) is seconds.
 */
export function parseDuration(value: string | number, flag: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new DurationError(flag, String(value));
    return Math.round(value * 1000);
  }
  const text = value.trim();
  if (NUMBER.test(text)) return Math.round(Number(text) * 1000);
  let total = 0;
  let end = 0;
  TERM.lastIndex = 0;
  for (let m = TERM.exec(text); m; m = TERM.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    end = TERM.lastIndex;
  }
  if (text === '' || end !== text.length) throw new DurationError(flag, value);
  return Math.round(total);
}
