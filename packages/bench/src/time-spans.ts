// When a bench's calls ran, so that a watch event's delivery can be put on what it met: a span per
// call (epoch ms, this machine's clock, which the watch probe stamps with too).

export interface Span {
  from: number;
  to: number;
}

/** Runs `fn`, noting in `spans` when it began and ended. */
export async function during<T>(spans: Span[], fn: () => Promise<T>): Promise<T> {
  const span = { from: Date.now(), to: Infinity };
  spans.push(span);
  try {
    return await fn();
  } finally {
    span.to = Date.now();
  }
}

/** Whether `at` falls in one of `spans` (ends included). */
export function within(spans: readonly Span[], at: number): boolean {
  return spans.some((s) => at >= s.from && at <= s.to);
}
