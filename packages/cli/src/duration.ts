// Go-style durations, as the seed's flags took them: `1m`, `10s`, `1m30s`, `500ms`; a bare number is seconds.
import { CliError } from './cli-error';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string | number, flag: string): number {
  if (typeof text === 'number') return text * 1000;
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * UNITS[m[2]];
    matched = re.lastIndex;
  }
  if (t === '' || matched !== t.length) throw new CliError(`error: ${flag} takes a duration like 30s, 1m or 500ms, not "${text}"`);
  return total;
}
