/** A scrape of a /metrics endpoint: each sample by `name{labels}`, and each family's TYPE. */
export interface PrometheusText {
  samples: Map<string, number>;
  types: Map<string, string>;
}

/** Parses the Prometheus text exposition format (`# TYPE` lines and `name{labels} value [timestamp]` samples). */
export function parsePrometheusText(text: string): PrometheusText {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)( -?\d+)?$/.exec(line);
    if (sample) samples.set(sample[1]!, Number(sample[2]));
  }
  return { samples, types };
}

/** The sum of a family's samples over every label set (`name` alone or `name{...}`). */
export function familySum(m: PrometheusText, name: string): number {
  let n = 0;
  for (const [k, v] of m.samples) if (k === name || k.startsWith(`${name}{`)) n += v;
  return n;
}

/** GETs a /metrics endpoint (etcd's, a component's) and parses it. */
export async function scrapeMetrics(url: string): Promise<PrometheusText> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return parsePrometheusText(await res.text());
}
