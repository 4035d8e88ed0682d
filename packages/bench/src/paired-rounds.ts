// How the metrics cost bench pairs its windows (metrics-phase.ts): each round is a window with the
// pipeline off and one with it on, the order swapped every round (off on, on off, off on ...), so a
// load from other work that rises or falls over the run weighs on both states alike; the figure is
// the median of the rounds' differences, each between two adjacent windows, with the spread beside it.

/** The states of round `round` (1-based), in the order measured: false = off, true = on. */
export function roundOrder(round: number): [boolean, boolean] {
  return round % 2 === 1 ? [false, true] : [true, false];
}

export interface PairedSpread {
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
}

/** The median of the rounds' differences and their spread (quartiles linear between neighbours). */
export function spreadOf(differences: number[]): PairedSpread {
  if (!differences.length) throw new Error('spreadOf: no rounds');
  const sorted = [...differences].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), min: sorted[0], max: sorted[sorted.length - 1], q1: quantile(sorted, 0.25), q3: quantile(sorted, 0.75) };
}

function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
}
