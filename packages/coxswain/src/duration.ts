// Durations on the command line: "40s", "5m", "1500ms", "2h", or a bare number of seconds.
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDurationMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(text).trim());
  if (!m) throw new Error(`--${flag}: "${text}" is not a duration (e.g. 40s, 5m, 1500ms)`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 's']);
}
